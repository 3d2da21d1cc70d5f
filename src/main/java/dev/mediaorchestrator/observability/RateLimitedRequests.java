package dev.mediaorchestrator.observability;

import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Counts the requests answered {@code 429} (JOBS_RATE_PER_MINUTE on {@code POST /jobs}, a busy
 * runner on {@code /render}) per route, from Camel's exchange events: whichever route refuses a
 * request, it is counted, with no code in the route.
 */
public final class RateLimitedRequests extends EventNotifierSupport {
    private final Metrics metrics;

    public RateLimitedRequests(Metrics metrics) {
        this.metrics = metrics;
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreExchangeSendingEvents(true);
        setIgnoreExchangeSentEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.ExchangeCompletedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        Exchange exchange = ((CamelEvent.ExchangeCompletedEvent) event).getExchange();
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (status != null && status == 429) {
            metrics.rateLimited(exchange.getFromRouteId());
        }
    }
}
