#!/usr/bin/env bats
# berth run flags as Docker's CLI reference documents them: --pid, --ipc,
# --group-add, --cidfile, --domainname, --cap-add/--cap-drop order,
# --label without a value and --label-file; and the engine's checks of a
# create request.  Each test checks the effect in the container.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() {
  engine_teardown
  [ -n "${HOST_PID:-}" ] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null
  [ -n "${HOST_SHM:-}" ] && ipcrm -m "$HOST_SHM" 2>/dev/null
  return 0
}

# A host process with a name of this test's own.
start_host_process() {
  HOST_COMM=rfpid$$x$BATS_TEST_NUMBER
  cp /bin/sleep "$BATS_TEST_TMPDIR/$HOST_COMM"
  "$BATS_TEST_TMPDIR/$HOST_COMM" 1000 3>&- &
  HOST_PID=$!
}

ctr_count() { berth ps -aq | wc -l; }

@test "--pid host: the host's processes are visible, not controllable" {
  start_host_process
  run berth run --rm --pid host bb cat /proc/$HOST_PID/comm
  [ "$status" -eq 0 ]
  [ "$output" = "$HOST_COMM" ]
  [ "$(berth run --rm --pid host bb cat /proc/1/comm)" = "$(cat /proc/1/comm)" ]
  # Its own pid namespace otherwise: the host process is not there.
  run berth run --rm bb cat /proc/$HOST_PID/comm
  [ "$output" != "$HOST_COMM" ]
  # The user namespace is kept: container root cannot signal it ...
  run berth run --rm --pid host bb kill -0 $HOST_PID
  [ "$status" -ne 0 ]
  # ... CONTROL: in the host's user namespace the same root can.
  run berth run --rm --pid host --userns host bb kill -0 $HOST_PID
  [ "$status" -eq 0 ]
}

@test "--pid container:X sees X's processes; refused when X is missing or stopped" {
  berth run -d --name px bb sleep 1000 >/dev/null
  run berth run --rm --pid container:px bb sh -c 'cat /proc/*/comm'
  [ "$status" -eq 0 ]
  [[ "$output" == *sleep* ]]
  # CONTROL: without it, only its own processes.
  run berth run --rm bb sh -c 'cat /proc/*/comm'
  [[ "$output" != *sleep* ]]
  # X's processes stay X's: no signal across user namespaces.
  run berth run --rm --pid container:px bb kill -0 1
  [ "$status" -ne 0 ]
  # A detached one, and exec into it.
  berth run -d --name pjoin --pid container:px bb sleep 1001 >/dev/null
  run berth exec pjoin sh -c 'cat /proc/*/cmdline | tr "\0" " "'
  [ "$status" -eq 0 ]
  [[ "$output" == *"sleep 1000"* && "$output" == *"sleep 1001"* ]]
  # Docker's statuses also through the runtime process that creates a
  # joiner: 127 for a missing program, 126 for one that cannot run.
  run -127 berth run --rm --pid container:px bb /no/such/program
  [ "$status" -eq 127 ]
  run berth run --rm --pid container:px bb /etc/passwd
  [ "$status" -eq 126 ]
  run berth run --rm --pid bogus bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--pid"* ]]
  n=$(ctr_count)
  run berth run --rm --pid container:nosuch bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *nosuch* ]]
  berth create --name pstopped bb true >/dev/null
  n=$(ctr_count)
  run berth run --pid container:pstopped bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"not running"* ]]
  [ "$(ctr_count)" = "$n" ]
}

@test "--pid container:X: refused at start once X is gone" {
  berth run -d --name pgone bb sleep 1000 >/dev/null
  berth create --name joiner --pid container:pgone bb true >/dev/null
  berth rm -f pgone >/dev/null
  run berth start joiner
  [ "$status" -ne 0 ]
  [[ "${output,,}" == *"no such container"* ]]
  [ "$(berth inspect -f '{{.State.Status}}' joiner)" = created ]
}

@test "--ipc container:X shares X's SysV shared memory (X shareable)" {
  berth run -d --name ix --ipc shareable bb sleep 1000 >/dev/null
  # shmget(0x5eed14, 4096, IPC_CREAT|0644) in X.
  berth exec ix probe errno syscall 29 0x5eed14 4096 0x3a4
  key=$((0x5eed14))
  run berth run --rm --ipc container:ix bb cat /proc/sysvipc/shm
  [ "$status" -eq 0 ]
  [[ "$output" == *" $key "* ]]
  # CONTROL: its own IPC namespace does not have it.
  run berth run --rm bb cat /proc/sysvipc/shm
  [[ "$output" != *" $key "* ]]
  # A container that did not offer its namespace (Docker's default).
  berth run -d --name iprivate bb sleep 1000 >/dev/null
  n=$(ctr_count)
  run berth run --rm --ipc container:iprivate bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *shareable* ]]
  [ "$(ctr_count)" = "$n" ]
}

@test "--ipc host sees a host segment; IPC sysctls are refused with it" {
  HOST_SHM=$(ipcmk -M 4096 -p 0600 | grep -o '[0-9]*$')
  [ -n "$HOST_SHM" ]
  run berth run --rm --ipc host bb cat /proc/sysvipc/shm
  [ "$status" -eq 0 ]
  echo "$output" | awk -v id="$HOST_SHM" '$2 == id {f=1} END {exit !f}'
  # CONTROL: a private IPC namespace does not see it.
  run berth run --rm bb cat /proc/sysvipc/shm
  ! echo "$output" | awk -v id="$HOST_SHM" '$2 == id {f=1} END {exit !f}'
  # The segment is 0600 host root's: container root may not open it for
  # reading (shmget with SHM_R) ...
  key=$(awk -v id="$HOST_SHM" '$2 == id {print $1}' /proc/sysvipc/shm)
  run berth run --rm --ipc host bb probe errno syscall 29 "$key" 0 0x100
  [ "$output" = EACCES ]
  # ... CONTROL: in the host's user namespace, root is its owner.
  run berth run --rm --ipc host --userns host bb probe errno syscall 29 "$key" 0 0x100
  [ "$output" = OK ]
  run berth run --rm --ipc host --sysctl kernel.shmmax=1000000 bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"IPC namespace"* ]]
  run berth run --rm --ipc bogus bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--ipc"* ]]
}

@test "--ipc none has no /dev/shm; default has one" {
  run berth run --rm --ipc none bb sh -c 'grep " /dev/shm " /proc/mounts'
  [ "$status" -ne 0 ]
  run berth run --rm bb sh -c 'grep " /dev/shm " /proc/mounts'
  [ "$status" -eq 0 ]
}

@test "--group-add adds supplementary groups by name and number" {
  run berth run --rm --group-add testers --group-add 4242 bb \
    sh -c 'grep ^Groups: /proc/self/status'
  [ "$status" -eq 0 ]
  [[ "$output" == *1001* ]]
  [[ "$output" == *4242* ]]
  # CONTROL: root's groups without it.
  run berth run --rm bb sh -c 'grep ^Groups: /proc/self/status'
  [[ "$output" != *1001* && "$output" != *4242* ]]
  run berth run --rm --group-add nosuchgroup bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *nosuchgroup* ]]
}

@test "--cidfile gets the id; an existing file is refused with no container made" {
  f=$BATS_TEST_TMPDIR/cid
  id=$(berth run -d --cidfile "$f" bb sleep 1000)
  [ "$(cat "$f")" = "$id" ]
  n=$(ctr_count)
  run berth run -d --cidfile "$f" bb sleep 1000
  [ "$status" -eq 125 ]
  [[ "$output" == *"Container ID file found, make sure the other container isn't running or delete $f"* ]]
  [ "$(ctr_count)" = "$n" ]
  [ "$(cat "$f")" = "$id" ]
  # A failed create leaves no file behind.
  run berth create --cidfile "$BATS_TEST_TMPDIR/cid2" --workdir rel bb true
  [ "$status" -eq 125 ]
  [ ! -e "$BATS_TEST_TMPDIR/cid2" ]
}

@test "--domainname sets the NIS domain name of the container's UTS namespace" {
  run berth run --rm --domainname example.test bb cat /proc/sys/kernel/domainname
  [ "$status" -eq 0 ]
  [ "$output" = example.test ]
  run berth run --rm bb cat /proc/sys/kernel/domainname
  [ "$output" = "(none)" ]
  [ "$(cat /proc/sys/kernel/domainname)" != example.test ]
}

# Whether bit N is set in the container's CapEff.
capeff_has() {
  local eff=$1 bit=$2
  (( (0x$eff >> bit) & 1 ))
}

capeff() {
  berth run --rm "$@" bb sh -c 'grep ^CapEff: /proc/self/status' | awk '{print $2}'
}

@test "--cap-add X --cap-drop X keeps X; --cap-drop ALL --cap-add X gives only X" {
  # CAP_NET_ADMIN is 12, CAP_CHOWN 0, CAP_KILL 5.
  eff=$(capeff --cap-add NET_ADMIN --cap-drop NET_ADMIN)
  capeff_has "$eff" 12
  capeff_has "$eff" 0
  eff=$(capeff --cap-drop CHOWN)
  ! capeff_has "$eff" 0
  capeff_has "$eff" 5
  eff=$(capeff --cap-drop ALL --cap-add KILL)
  [ $((0x$eff)) -eq $((1 << 5)) ]
  eff=$(capeff --cap-add ALL --cap-drop KILL)
  ! capeff_has "$eff" 5
  capeff_has "$eff" 12
  run berth run --rm --cap-add BOGUS bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *BOGUS* ]]
}

@test "--label k without a value, and --label-file" {
  printf 'from.file=1\n# comment\n\nbare.in.file\nover=file\n' > "$BATS_TEST_TMPDIR/labels"
  berth create --name labelled --label novalue --label over=flag \
    --label-file "$BATS_TEST_TMPDIR/labels" bb true >/dev/null
  run berth inspect labelled
  [ "$(echo "$output" | jq -cS '.[0].Config.Labels')" = \
    '{"bare.in.file":"","from.file":"1","novalue":"","over":"flag"}' ]
  run berth create --label-file "$BATS_TEST_TMPDIR/missing" bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *missing* ]]
}

@test "the engine validates --workdir, --cgroup-parent, --network, --userns" {
  n=$(ctr_count)
  run berth create --workdir rel bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--workdir \`rel\`"* ]]
  run berth create --cgroup-parent /a/../b bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--cgroup-parent"* ]]
  run berth create --cgroup-parent rel bb true
  [ "$status" -eq 125 ]
  run berth create --network nosuchnet bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"network nosuchnet not found"* ]]
  run berth create --userns keep-id bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--userns"* ]]
  # Sysctls: the engine decides what the container's namespaces allow.
  run berth create --network host --sysctl net.ipv4.ip_forward=1 bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"own network namespace"* ]]
  run berth create --sysctl kernel.panic=1 bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"not a namespaced sysctl"* ]]
  [ "$(ctr_count)" = "$n" ]
  # CONTROL: in its own network namespace the same sysctl is set.
  run berth run --rm --sysctl net.ipv4.ip_forward=1 bb cat /proc/sys/net/ipv4/ip_forward
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
}

@test "the engine's default cgroup parent comes from its environment" {
  # engine.bash exports BERTH_CGROUP_PARENT: the engine (not the CLI)
  # puts a container without --cgroup-parent under it.
  berth run -d --name cgdef bb sleep 1000 >/dev/null
  id=$(berth inspect -f '{{.Id}}' cgdef)
  [ -d "/sys/fs/cgroup/pids$BERTH_CGROUP_PARENT/$id" ]
  [ "$(berth inspect -f '{{.HostConfig.CgroupParent}}' cgdef)" = "$BERTH_CGROUP_PARENT" ]
  # An explicit parent wins.
  berth run -d --name cgown --cgroup-parent "$BERTH_CGROUP_PARENT/own" bb sleep 1000 >/dev/null
  id2=$(berth inspect -f '{{.Id}}' cgown)
  [ -d "/sys/fs/cgroup/pids$BERTH_CGROUP_PARENT/own/$id2" ]
  berth rm -f cgdef cgown >/dev/null
}
