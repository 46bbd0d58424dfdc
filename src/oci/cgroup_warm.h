/* Starting a container's cgroup migration early.
 *
 * Writing a pid to a cgroup.procs file takes the kernel's global
 * cgroup_threadgroup_rwsem for writing.  Unless a migration happened within
 * the last grace period (or the hierarchy is mounted with favordynmods),
 * that first waits for an RCU grace period: 5-15 ms on this kind of host,
 * about half of a whole `berth run`.  The wait is per burst, not per write:
 * a migration that starts while another one's grace period is running or
 * has just passed does not wait again.
 *
 * berth_cgroup_prewarm() therefore starts a migration that changes nothing
 * (a helper process into the cgroup it is already in) in the background,
 * as soon as a command knows it will start a container.  The grace period
 * then runs alongside the command's own work (database, overlay, bundle),
 * and the runtime's real write of the container's pid finds the lock
 * ready.  (While the grace period runs, the kernel also holds cgroup_mutex,
 * so creating the container's cgroups waits for it too: the gain is the
 * work a command does before its first cgroup operation.)  Every runtime pays this grace period anyway; the warm-up only
 * moves it earlier, so it adds no cost to the rest of the host. */
#ifndef BERTH_OCI_CGROUP_WARM_H
#define BERTH_OCI_CGROUP_WARM_H

/* Best effort and asynchronous: returns at once; failures are ignored
 * (the later write then simply waits as it would have). */
void berth_cgroup_prewarm(void);

#endif
