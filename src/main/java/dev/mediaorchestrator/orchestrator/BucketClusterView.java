package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One namespace of {@link BucketClusterService}: who is in it and who leads it, kept in the bucket
 * with the same conditional writes as the job records, so replicas that share nothing but the bucket
 * (processes on one machine, containers in compose) find each other with no other configuration.
 *
 * <ul>
 *   <li>Every member writes {@code state/cluster/{ns}/members/{id}} every heartbeat; a member whose
 *       object is older than {@link #expiryMs} is gone.</li>
 *   <li>{@code state/cluster/{ns}/leader.json} holds the leader's id, the time its lease ends and
 *       the members it saw. The leader renews it each heartbeat with {@code If-Match}; another
 *       member takes it with {@code If-Match} (or {@code If-None-Match: *} when absent) only once
 *       the lease has ended, so at most one write wins. A member restarted with the same id takes
 *       its own lease back at once.</li>
 *   <li>Only the leader lists the members (one LIST per heartbeat, whatever the number of
 *       replicas); the others read the leader's object (one GET each).</li>
 * </ul>
 * A leader that cannot renew stops calling itself leader when its lease ends by its own clock;
 * the others take over once it has ended by theirs (clocks are assumed within a second or two).
 */
public final class BucketClusterView extends AbstractCamelClusterView {
    private static final Logger LOG = LoggerFactory.getLogger(BucketClusterView.class);

    private final StateObjects objects;
    private final Clock clock;
    private final long heartbeatMs;
    private final long leaseMs;
    private final long expiryMs;
    private final Member local;
    private final String prefix;
    private volatile String leaderId;
    /** When this member's own lease ends (by its clock), while it leads. */
    private volatile long leadingUntil;
    private volatile List<String> memberIds = List.of();
    private volatile boolean settled;
    private ScheduledExecutorService ticker;

    BucketClusterView(CamelClusterService service, String namespace, StateObjects objects, String localId, Clock clock,
                      long heartbeatMs, long leaseMs) {
        super(service, namespace);
        this.objects = objects;
        this.clock = clock;
        this.heartbeatMs = heartbeatMs;
        this.leaseMs = leaseMs;
        this.expiryMs = leaseMs;
        this.local = new Member(localId);
        this.prefix = "state/cluster/" + namespace + "/";
    }

    @Override
    public Optional<CamelClusterMember> getLeader() {
        String id = currentLeader();
        return id == null ? Optional.empty() : Optional.of(id.equals(local.id) ? local : new Member(id));
    }

    @Override
    public CamelClusterMember getLocalMember() {
        return local;
    }

    @Override
    public List<CamelClusterMember> getMembers() {
        List<CamelClusterMember> members = new ArrayList<>();
        for (String id : memberIds) {
            members.add(id.equals(local.id) ? local : new Member(id));
        }
        return members;
    }

    /** Whether a heartbeat has gone through since the start (before it, nobody is known to lead). */
    public boolean settled() {
        return settled;
    }

    private String currentLeader() {
        String id = leaderId;
        if (local.id.equals(id) && clock.millis() >= leadingUntil) {
            return null; // not renewed in time: this member may have lost the lease
        }
        return id;
    }

    @Override
    protected void doStart() {
        ticker = getCamelContext() == null ? Executors.newSingleThreadScheduledExecutor()
                : getCamelContext().getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "cluster-" + getNamespace());
        ticker.execute(this::tickAndReschedule);
    }

    private void tickAndReschedule() {
        tick();
        try {
            // until the store answers (the embedded one starts with the service), try again soon
            ticker.schedule(this::tickAndReschedule, settled ? heartbeatMs : Math.min(heartbeatMs, 500), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** One heartbeat: this member's presence, then the lease (taken, renewed or read). Errors wait for the next one. */
    public synchronized void tick() {
        String before = currentLeader();
        List<String> membersBefore = memberIds;
        try {
            long now = clock.millis();
            objects.put(prefix + "members/" + local.id, Long.toString(now).getBytes(StandardCharsets.UTF_8), null, false);
            Optional<Storage.Versioned> stored = objects.get(prefix + "leader.json");
            Map<String, Object> lease = stored.map(v -> Json.parseObject(v.data())).orElse(Map.of());
            String holder = lease.get("leader") instanceof String s ? s : null;
            long until = lease.get("until") instanceof Number n ? n.longValue() : 0;
            if (holder == null || holder.equals(local.id) || until <= now) {
                List<String> live = liveMembers(now);
                Map<String, Object> next = new LinkedHashMap<>();
                next.put("leader", local.id);
                next.put("until", now + leaseMs);
                next.put("members", live);
                byte[] body = Json.writeBytes(next);
                Optional<String> written = stored.isEmpty() ? objects.put(prefix + "leader.json", body, null, true)
                        : objects.put(prefix + "leader.json", body, stored.get().etag(), false);
                if (written.isPresent()) {
                    leaderId = local.id;
                    leadingUntil = now + leaseMs;
                    memberIds = live;
                } else {
                    leaderId = null; // another member came first: it is known at the next heartbeat
                }
            } else {
                leaderId = holder;
                memberIds = lease.get("members") instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
            }
            settled = true;
        } catch (RuntimeException e) {
            LOG.debug("cluster {}: heartbeat failed (next one in {} ms): {}", getNamespace(), heartbeatMs, e.toString());
        }
        fireChanges(before, membersBefore);
    }

    /** The members whose heartbeat is fresh, this one included (sorted). */
    private List<String> liveMembers(long now) {
        TreeSet<String> live = new TreeSet<>();
        live.add(local.id);
        for (Storage.Listed l : objects.list(prefix + "members/")) {
            if (l.lastModified() != null && now - l.lastModified().toEpochMilli() < expiryMs) {
                live.add(l.key().substring((prefix + "members/").length()));
            }
        }
        return List.copyOf(live);
    }

    private void fireChanges(String leaderBefore, List<String> membersBefore) {
        String after = currentLeader();
        if (!Objects.equals(leaderBefore, after)) {
            LOG.info("cluster {}: leader {} (this replica: {})", getNamespace(), after == null ? "none" : after, local.id);
            fireLeadershipChangedEvent(getLeader());
        }
        List<String> members = memberIds;
        for (String id : members) {
            if (!membersBefore.contains(id)) {
                fireMemberAddedEvent(id.equals(local.id) ? local : new Member(id));
            }
        }
        for (String id : membersBefore) {
            if (!members.contains(id)) {
                fireMemberRemovedEvent(new Member(id));
            }
        }
    }

    @Override
    protected void doStop() {
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
        // a replica that stops hands over at once: the lease is ended, its heartbeat removed
        try {
            objects.delete(prefix + "members/" + local.id);
            Optional<Storage.Versioned> stored = objects.get(prefix + "leader.json");
            if (stored.isPresent() && local.id.equals(Json.parseObject(stored.get().data()).get("leader"))) {
                Map<String, Object> ended = new LinkedHashMap<>();
                ended.put("leader", null);
                ended.put("until", 0);
                objects.put(prefix + "leader.json", Json.writeBytes(ended), stored.get().etag(), false);
            }
        } catch (RuntimeException e) {
            LOG.debug("cluster {}: could not hand over at stop: {}", getNamespace(), e.toString());
        }
        leaderId = null;
        memberIds = List.of();
    }

    private final class Member implements CamelClusterMember {
        private final String id;

        Member(String id) {
            this.id = id;
        }

        @Override
        public boolean isLeader() {
            return id.equals(currentLeader());
        }

        @Override
        public boolean isLocal() {
            return id.equals(local.id);
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public String toString() {
            return "BucketClusterMember{" + id + "}";
        }
    }
}
