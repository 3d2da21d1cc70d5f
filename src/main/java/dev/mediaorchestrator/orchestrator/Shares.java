package dev.mediaorchestrator.orchestrator;

import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterView;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Which open jobs this orchestrator replica works (docs/architecture.md, "Who works which job").
 * A job belongs to the replica that created it ({@link Job#owner}; its active marker is
 * {@code state/active/{owner}/{jobId}}), which does its periodic work (completion checks, probes,
 * callback retries) while it is a member of the cluster. The leader of the cluster view
 * ({@value #NAMESPACE}: Camel's cluster service, on the bucket or on Kubernetes Leases) also works
 * the jobs whose owner is no member any more (it died, or the record predates owners), dispatches
 * (it alone sees every open job, so the queue order and the runners' slots stay global) and runs
 * retention. So each job is worked by one replica, whatever their number, and a dead replica's jobs
 * go to the leader once the cluster has noticed (a lease's length).
 *
 * <p>Without a view (unit tests, {@link #alone()}) this process works every job and leads.
 */
public final class Shares {
    /** The cluster namespace of the orchestrators (the {@code master:} routes use it too). */
    public static final String NAMESPACE = "media-orchestrator";

    private final String localId;
    private volatile CamelClusterView view;
    private final List<Runnable> onLeading = new CopyOnWriteArrayList<>();

    private Shares(String localId) {
        this.localId = localId;
    }

    /** One process on its own: it works everything. */
    public static Shares alone() {
        return new Shares(null);
    }

    /** A replica known as {@code localId} among the members of the view it is given ({@link #attach}). */
    public static Shares member(String localId) {
        if (!isMemberId(localId)) {
            throw new IllegalArgumentException("cluster member id must be 1-100 of [A-Za-z0-9._-]: " + localId);
        }
        return new Shares(localId);
    }

    /** A member id is part of object keys ({@code state/active/{id}/…}): letters, digits, {@code . _ -}. */
    public static boolean isMemberId(String id) {
        return id != null && id.matches("[A-Za-z0-9._-]{1,100}") && !id.startsWith("job_") && !id.equals(".") && !id.equals("..");
    }

    /** Membership and leadership from now on come from {@code view}; becoming leader runs the {@link #onLeading} actions. */
    public void attach(CamelClusterView view) {
        this.view = view;
        view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) -> {
            if (leader != null && leader.isLocal()) {
                onLeading.forEach(Runnable::run);
            }
        });
        if (leader()) {
            onLeading.forEach(Runnable::run);
        }
    }

    /** Run (it must not block) each time this replica becomes the leader. */
    public void onLeading(Runnable action) {
        onLeading.add(action);
    }

    /** The id new jobs are recorded under (null alone: the marker then has no owner part). */
    public String localId() {
        return localId;
    }

    public boolean isAlone() {
        return localId == null;
    }

    /** Whether this replica leads: it dispatches, runs retention and works the jobs of departed members. */
    public boolean leader() {
        if (localId == null) {
            return true;
        }
        CamelClusterView v = view;
        return v != null && v.getLocalMember().isLeader();
    }

    /** Whether this replica does the periodic work of {@code job}. */
    public boolean works(Job job) {
        return share().test(job);
    }

    /** {@link #works} as of now, for many jobs: the leadership and the members are read once. */
    public Predicate<Job> share() {
        if (localId == null) {
            return job -> true;
        }
        if (!leader()) {
            return job -> localId.equals(job.owner);
        }
        Set<String> members = memberIds();
        return job -> localId.equals(job.owner) || job.owner == null || !members.contains(job.owner);
    }

    /** The ids of the live members, as the view knows them. */
    Set<String> memberIds() {
        Set<String> ids = new HashSet<>();
        CamelClusterView v = view;
        if (v != null) {
            for (CamelClusterMember m : v.getMembers()) {
                ids.add(m.getId());
            }
        }
        return ids;
    }
}
