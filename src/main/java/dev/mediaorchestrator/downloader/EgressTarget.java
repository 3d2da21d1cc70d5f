package dev.mediaorchestrator.downloader;

/**
 * Where a request to the egress guard wants to go: the host (as it is looked up), the port, and
 * for a plain-HTTP request the path and query to send on. The URL's user info and fragment are
 * never sent on.
 */
record EgressTarget(String host, int port, String pathAndQuery) {

    /** The target of {@code CONNECT host:port} ({@code [v6]:port}); null when malformed. */
    static EgressTarget ofAuthority(String authority) {
        Urls.Parts p = Urls.split("tunnel://" + authority);
        if (p == null || p.port() == null || p.userInfo() != null || p.rest() != null) {
            return null;
        }
        return new EgressTarget(PrivateNetworks.normalizeHost(p.host()), p.port(), null);
    }

    /** The target of an absolute-form {@code http://host[:port]/path?query} request line; null for anything else. */
    static EgressTarget ofAbsoluteUrl(String url) {
        Urls.Parts p = Urls.split(url);
        if (p == null || !p.scheme().equals("http")) {
            return null;
        }
        String rest = p.rest() == null ? "" : p.rest();
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            rest = rest.substring(0, hash);
        }
        String path = rest.startsWith("/") ? rest : "/" + rest;
        return new EgressTarget(PrivateNetworks.normalizeHost(p.host()), p.port() == null ? 80 : p.port(), path);
    }

    /** {@code host:port} ({@code [v6]:port}). */
    String authority() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The absolute form for an http proxy behind the guard. */
    String absoluteUrl() {
        return "http://" + authority() + pathAndQuery;
    }
}
