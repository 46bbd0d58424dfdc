# Sourced by test and benchmark scripts (sh and bash).
#
# remove_cgroups PATH...: removes each cgroup PATH ("/berth-test/x"), and
# any cgroups below it, from every mounted hierarchy, in the order given
# (so children before parents).  A cgroup that still has processes stays:
# rmdir refuses it, which is the point, since what is in use (or leaked,
# for run.sh to report) must not vanish.  The runtime creates missing
# parents (/berth-test, /berth) and nothing else removes them: whoever
# made a test use them removes them here.
remove_cgroups() {
  for _cg in "$@"; do
    # v1 hierarchies and a hybrid unified tree; a pure v2 mount.
    for _d in /sys/fs/cgroup/*"$_cg" /sys/fs/cgroup"$_cg"; do
      [ -d "$_d" ] && find "$_d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  return 0
}
