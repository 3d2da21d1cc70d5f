package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.cluster.CamelClusterView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29: the orchestrator replicas on one bucket divide the open jobs instead of each working
 * all of them. Two (or three) replicas, each a {@link JobStore} with its {@link Shares} over a
 * {@link BucketClusterService} view, on one in-memory bucket; the views' heartbeats are ticked by
 * hand on a clock the test moves.
 */
class SharesTest {
    private final long[] now = {System.currentTimeMillis()};
    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.ofEpochMilli(now[0]); }
    };
    private final AtomicInteger lists = new AtomicInteger();
    /** The in-memory bucket, its objects' times on the test's clock, its listings counted. */
    private final Map<String, Instant> written = new ConcurrentHashMap<>();
    private final StateObjects bucket = new ForwardingObjects(StateObjects.inMemory()) {
        @Override
        public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
            Optional<String> etag = inner.put(key, data, ifMatch, createOnly);
            etag.ifPresent(e -> written.put(key, clock.instant()));
            return etag;
        }

        @Override
        public List<Storage.Listed> list(String prefix) {
            lists.incrementAndGet();
            return inner.list(prefix).stream().map(l -> new Storage.Listed(l.key(), written.get(l.key()))).toList();
        }
    };
    private final List<JobStore> stores = new ArrayList<>();

    @AfterEach
    void close() {
        stores.forEach(JobStore::close);
    }

    /** A replica: its store, shares and view (not started: {@link BucketClusterView#tick()} by hand). */
    private record Replica(String id, JobStore jobs, BucketClusterView view) {
    }

    private Replica replica(String id) throws Exception {
        JobStore jobs = new JobStore(Duration.ofDays(1), bucket, new Hmac("unit-test-secret"), clock);
        stores.add(jobs);
        BucketClusterService service = new BucketClusterService(bucket, id, clock);
        CamelClusterView view = service.getView(Shares.NAMESPACE);
        Shares shares = Shares.member(id);
        jobs.setShares(shares);
        ((BucketClusterView) view).tick();
        shares.attach(view);
        return new Replica(id, jobs, (BucketClusterView) view);
    }

    private static Set<String> ids(Collection<Job> jobs) {
        return jobs.stream().map(j -> j.jobId).collect(Collectors.toSet());
    }

    private static Set<String> create(JobStore jobs, int n) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            ids.add(jobs.create(new Job(JobKeys.newJobId(), "m" + i, Engine.BURNER, Map.of(), System.currentTimeMillis(), "n")).jobId);
        }
        return ids;
    }

    @Test
    void eachOpenJobIsWorkedByOneReplicaAndOnlyTheLeaderListsTheIndex() throws Exception {
        Replica a = replica("replica-a");
        Replica b = replica("replica-b");
        a.view.tick(); // the leader sees b among the members
        assertTrue(a.view.getLocalMember().isLeader(), "the first replica leads");
        assertFalse(b.view.getLocalMember().isLeader());

        Set<String> ofA = create(a.jobs, 10);
        Set<String> ofB = create(b.jobs, 10);
        lists.set(0);
        b.jobs.index().sync();
        assertEquals(0, lists.get(), "a replica that does not lead lists nothing");
        a.jobs.index().sync();
        assertEquals(1, lists.get(), "the leader lists the active index once");

        assertEquals(ofA, ids(a.jobs.worked()), "the leader works the jobs it recorded");
        assertEquals(ofB, ids(b.jobs.worked()), "the other works the jobs it recorded");
        Set<String> all = new HashSet<>(ofA);
        all.addAll(ofB);
        assertEquals(all, ids(a.jobs.active()), "the leader sees every open job (it dispatches)");
        assertTrue(a.jobs.seesAll());
        assertFalse(b.jobs.seesAll(), "the other does not dispatch");
    }

    @Test
    void aDeadReplicasJobsGoToTheLeaderOnceItsLeaseHasRunOut() throws Exception {
        Replica a = replica("replica-a");
        Replica b = replica("replica-b");
        a.view.tick();
        Set<String> ofB = create(b.jobs, 5);
        a.jobs.index().sync();
        assertTrue(ids(a.jobs.worked()).stream().noneMatch(ofB::contains), "b's jobs are b's while it lives");

        // b is killed: no heartbeat from it any more
        now[0] += BucketClusterService.LEASE_MS - 1000;
        a.view.tick();
        assertTrue(ids(a.jobs.worked()).stream().noneMatch(ofB::contains), "not before its presence has run out");
        now[0] += 2000;
        a.view.tick();
        assertTrue(ids(a.jobs.worked()).containsAll(ofB), "then the leader works them");
    }

    @Test
    void whenTheLeaderDiesAnotherTakesTheLeadItsJobsAndTheDispatch() throws Exception {
        Replica a = replica("replica-a");
        Replica b = replica("replica-b");
        Replica c = replica("replica-c");
        a.view.tick();
        Set<String> ofA = create(a.jobs, 6);
        Set<String> ofC = create(c.jobs, 6);

        now[0] += BucketClusterService.LEASE_MS + 1000; // a is killed
        c.view.tick();
        b.view.tick();
        assertTrue(c.view.getLocalMember().isLeader() ^ b.view.getLocalMember().isLeader(), "one of the others leads");
        Replica leader = c.view.getLocalMember().isLeader() ? c : b;
        Replica other = leader == c ? b : c;
        leader.view.tick();
        other.view.tick();
        leader.jobs.index().sync();
        other.jobs.index().sync();
        assertTrue(leader.jobs.seesAll(), "the new leader dispatches once it has listed everything");
        assertTrue(ids(leader.jobs.worked()).containsAll(ofA), "and works the dead leader's jobs");
        if (leader == c) {
            assertTrue(ids(c.jobs.worked()).containsAll(ofC));
        } else {
            assertEquals(ofC, ids(c.jobs.worked()), "c keeps its own");
        }
        Set<String> overlap = new HashSet<>(ids(b.jobs.worked()));
        overlap.retainAll(ids(c.jobs.worked()));
        assertTrue(overlap.isEmpty(), "no job is worked twice: " + overlap);
    }

    @Test
    void aReplicaRestartedWithItsIdLeadsAgainAtOnceAndFindsItsJobs() throws Exception {
        Replica a = replica("replica-a");
        Set<String> ofA = create(a.jobs, 4);
        // killed and started again on the same data dir (the same id) within its lease
        now[0] += 3000;
        Replica again = replica("replica-a");
        assertTrue(again.view.getLocalMember().isLeader(), "its own lease is taken back at once");
        again.jobs.index().recover();
        assertEquals(ofA, ids(again.jobs.worked()));
    }

    @Test
    void jobsRecordedBeforeOwnersAreTheLeaders() throws Exception {
        JobStore alone = new JobStore(Duration.ofDays(1), bucket, new Hmac("unit-test-secret"), clock);
        stores.add(alone);
        Set<String> old = create(alone, 3); // markers state/active/{jobId}
        assertTrue(bucket.list(JobKeys.ACTIVE_PREFIX).stream().allMatch(l -> l.key().matches("state/active/job_[a-z2-7]{26}")));
        Replica a = replica("replica-a");
        Replica b = replica("replica-b");
        a.jobs.index().sync();
        b.jobs.index().sync();
        assertEquals(old, ids(a.jobs.worked()));
        assertTrue(b.jobs.worked().isEmpty());
    }

    @Test
    void aDoneJobsMarkerIsRemovedWhereverItEnds() throws Exception {
        Replica a = replica("replica-a");
        Replica b = replica("replica-b");
        String jobId = create(b.jobs, 1).iterator().next();
        assertTrue(bucket.get(JobKeys.ACTIVE_PREFIX + "replica-b/" + jobId).isPresent());
        // ended and delivered through a (a runner's callback, the app's cancel reach any replica)
        a.jobs.transition(jobId, j -> {
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "canceled", "canceled by request", now[0]);
            d.callback = d.callback.attempted(true, 200, null, now[0], false, Map.of());
            return d.build();
        });
        assertTrue(bucket.get(JobKeys.ACTIVE_PREFIX + "replica-b/" + jobId).isEmpty());
        now[0] += ActiveIndex.REFRESH_MS;
        b.jobs.index().sync();
        assertTrue(b.jobs.worked().isEmpty(), "its owner reads it again and lets it go");
    }
}
