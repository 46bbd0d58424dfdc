#!/usr/bin/env bats
# berth build: every instruction (and the built images run as
# configured), stages, ARG scopes, the cache, RUN's isolation, failures
# that leave no container and move no tag, progress and exit statuses.

bats_require_minimum_version 1.5.0
load ../engine/engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

# A fresh context directory in $CTX holding a Dockerfile from stdin.
context() {
  CTX=$(mktemp -d "$BATS_TEST_TMPDIR/ctx.XXXXXX")
  cat >"$CTX/Dockerfile"
}

cfg() { berth image inspect -f "{{json .Config.$1}}" "$2"; }

# The step line of $output whose text matches $1, and that step's number.
step_of() {
  grep -E "^#[0-9]+ \[.*\] $1\$" <<<"$output" | head -n 1 |
    sed -E 's/^#([0-9]+) .*/\1/'
}
# Whether step number $1 was taken from the cache.
cached() { grep -qx "#$1 CACHED" <<<"$output"; }

@test "build: every instruction, and the image runs as its config says" {
  context <<'EOF'
# syntax=docker/dockerfile:1
# escape=\
FROM bb
LABEL org.test.a="one" b=two
MAINTAINER someone@example.com
ENV GREETING="hello world" \
    EMPTY=
ARG BUILD_ONLY=visible-to-run
RUN echo "$GREETING $BUILD_ONLY" > /greeting
COPY file.txt /data/
ADD archive.tar /unpacked/
WORKDIR /app/sub
RUN pwd > where
USER tester
RUN id -u > /tmp/uid
WORKDIR /app/mine
EXPOSE 8080 9090/udp
VOLUME /vol
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD true
SHELL ["/bin/sh", "-c"]
ONBUILD RUN echo triggered > /tmp/onbuild
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /greeting"]
EOF
  echo copied >"$CTX/file.txt"
  mkdir "$CTX/arc" && echo inside >"$CTX/arc/inside.txt"
  tar -C "$CTX/arc" -cf "$CTX/archive.tar" inside.txt
  run berth build -t every "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"#1 [internal] load build definition from Dockerfile"* ]]
  # RUN as progress shows it: the variables it sees expanded.
  [[ "$output" == *'] RUN echo "hello world visible-to-run" > /greeting'* ]]
  [[ "$output" == *"naming to docker.io/library/every:latest done"* ]]
  run berth run --rm every
  [ "$status" -eq 0 ]
  [ "$output" = "hello world visible-to-run" ]
  run berth run --rm every 'cat /data/file.txt /unpacked/inside.txt \
    /app/sub/where /tmp/uid; pwd; id -un; stat -c "%u %a" /app/sub /app/mine'
  [ "$status" -eq 0 ]
  # WORKDIR makes its directory, owned by the USER of the time (BuildKit).
  [ "$output" = "$(printf 'copied\ninside\n/app/sub\n1000\n/app/mine\ntester\n0 755\n1000 755')" ]
  # The config, key by key (ARG values never reach it).
  run cfg Env every
  [[ "$output" == *'"GREETING=hello world"'* ]]
  [[ "$output" == *'"EMPTY="'* ]]
  [[ "$output" == *'"PATH='* ]]
  [[ "$output" != *BUILD_ONLY* ]]
  [ "$(cfg Labels every)" = '{"b":"two","org.test.a":"one"}' ]
  [ "$(cfg ExposedPorts every)" = '{"8080/tcp":{},"9090/udp":{}}' ]
  [ "$(cfg Volumes every)" = '{"/vol":{}}' ]
  [ "$(cfg StopSignal every)" = '"SIGUSR1"' ]
  [ "$(cfg User every)" = '"tester"' ]
  [ "$(cfg WorkingDir every)" = '"/app/mine"' ]
  [ "$(cfg Healthcheck every)" = \
    '{"Test":["CMD-SHELL","true"],"Interval":5000000000,"Timeout":2000000000,"Retries":3}' ]
  [ "$(cfg Shell every)" = '["/bin/sh","-c"]' ]
  [ "$(cfg OnBuild every)" = '["RUN echo triggered > /tmp/onbuild"]' ]
  [ "$(cfg Entrypoint every)" = '["/bin/sh","-c"]' ]
  [ "$(cfg Cmd every)" = '["cat /greeting"]' ]
  [ "$(berth image inspect -f '{{.Author}}' every)" = someone@example.com ]
  # The history, as BuildKit writes it.
  run berth history --no-trunc every
  [[ "$output" == *"RUN |1 BUILD_ONLY=visible-to-run /bin/sh -c echo"* ]]
  [[ "$output" == *"EXPOSE map[8080/tcp:{} 9090/udp:{}]"* ]]
  [[ "$output" == *"WORKDIR /app/sub"* ]]
}

@test "build: ONBUILD triggers run right after FROM of a child build" {
  context <<'EOF'
FROM bb
ONBUILD RUN echo triggered > /onbuild
ONBUILD ENV TRIGGERED=yes
EOF
  berth build -q -t parent "$CTX" >/dev/null
  context <<'EOF'
FROM parent
RUN cat /onbuild
EOF
  run berth build -t child "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"] ONBUILD RUN echo triggered > /onbuild"* ]]
  [[ "$output" == *" triggered"* ]]
  [ "$(cfg OnBuild child)" = null ]
  [[ "$(cfg Env child)" == *'"TRIGGERED=yes"'* ]]
}

@test "build: a multi-stage build copies an artifact; only needed stages run" {
  context <<'EOF'
FROM bb AS builder
RUN mkdir /out && echo artifact > /out/a.txt && echo second > /out/b.txt
FROM bb AS unused
RUN echo should-not-run
FROM bb
COPY --from=builder /out/a.txt /a.txt
COPY --from=0 /out/b.txt /b.txt
CMD ["cat", "/a.txt", "/b.txt"]
EOF
  run berth build -t multi "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"[builder 2/2] RUN mkdir /out"* ]]
  [[ "$output" == *"[stage-2 2/3] COPY --from=builder /out/a.txt /a.txt"* ]]
  [[ "$output" != *should-not-run* ]]
  [[ "$output" != *"[unused"* ]]
  run berth run --rm multi
  [ "$output" = "$(printf 'artifact\nsecond')" ]
  # --target: the builder stage alone.
  run berth build -t onlybuilder --target builder "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm onlybuilder cat /out/a.txt
  [ "$output" = artifact ]
  run berth run --rm onlybuilder cat /a.txt
  [ "$status" -ne 0 ]
  run berth build --target nosuch "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *'target stage "nosuch" could not be found'* ]]
}

@test "build: a scratch stage gets files from another stage and runs" {
  context <<'EOF'
FROM bb AS tools
FROM scratch
COPY --from=tools /bin/probe /probe
ENTRYPOINT ["/probe", "ids"]
EOF
  run berth build -t fromscratch "$CTX"
  [ "$status" -eq 0 ]
  run berth run --rm fromscratch
  [ "$status" -eq 0 ]
  [[ "$output" == "uid=0 "* ]]
  [[ "$(cfg Env fromscratch)" == *PATH=/usr/local/sbin* ]]
}

@test "build: ARG scopes, --build-arg, unused build args, proxy args" {
  context <<'EOF'
ARG BASE=bb
ARG VERSION=1
FROM $BASE
ARG VERSION
ARG WHO=world
ENV FROM_ARG=$WHO
RUN echo "v=$VERSION who=$WHO proxy=$HTTP_PROXY" > /args
EOF
  run berth build -t args --build-arg WHO=berth --build-arg UNUSED=x \
    --build-arg HTTP_PROXY=http://127.0.0.1:3128 "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"[Warning] One or more build-args [UNUSED] were not consumed"* ]]
  run berth run --rm args cat /args
  [ "$output" = "v=1 who=berth proxy=http://127.0.0.1:3128" ]
  run cfg Env args
  [[ "$output" == *'"FROM_ARG=berth"'* ]]
  [[ "$output" != *VERSION* ]]
  [[ "$output" != *HTTP_PROXY* ]]
  # Predefined proxy args stay out of the history (and the cache key).
  run berth history --no-trunc args
  [[ "$output" != *3128* ]]
  [[ "$output" == *"RUN |2 VERSION=1 WHO=berth /bin/sh -c"* ]]
  run berth build -q --build-arg WHO=berth \
    --build-arg HTTP_PROXY=http://127.0.0.1:9999 "$CTX"
  [ "$output" = "$(berth image inspect -f '{{.Id}}' args)" ]
  # A different value of a declared ARG is a different RUN.
  run berth build --build-arg WHO=other "$CTX"
  [ "$status" -eq 0 ]
  n=$(step_of 'RUN echo "v=1 who=other proxy=\$HTTP_PROXY" > /args')
  [ -n "$n" ]
  ! cached "$n"
}

@test "build: a rebuild is all cache; a changed file re-runs exactly the steps after its COPY" {
  context <<'EOF'
FROM bb
COPY a.txt /a.txt
RUN cat /a.txt > /a.copy
COPY b.txt /b.txt
RUN cat /b.txt > /b.copy
EOF
  echo a >"$CTX/a.txt"
  echo b >"$CTX/b.txt"
  first=$(berth build -q "$CTX")
  run berth build --progress plain "$CTX"
  [ "$status" -eq 0 ]
  steps=$(grep -cE '^#[0-9]+ \[[ 0-9]+/5\] (COPY|RUN)' <<<"$output")
  [ "$steps" -eq 4 ]
  [ "$(grep -c '^#[0-9]* CACHED$' <<<"$output")" -eq 5 ] # FROM and 4 steps
  [ "$(berth build -q "$CTX")" = "$first" ]
  # Only a new mtime: still the cache (contents are what counts).
  touch -d '2001-01-01' "$CTX/a.txt"
  [ "$(berth build -q "$CTX")" = "$first" ]
  echo changed >"$CTX/b.txt"
  run berth build -t cached "$CTX"
  [ "$status" -eq 0 ]
  cached "$(step_of 'COPY a.txt /a.txt')"
  cached "$(step_of 'RUN cat /a.txt > /a.copy')"
  ! cached "$(step_of 'COPY b.txt /b.txt')"
  ! cached "$(step_of 'RUN cat /b.txt > /b.copy')"
  run berth run --rm cached cat /a.copy /b.copy
  [ "$output" = "$(printf 'a\nchanged')" ]
  # --no-cache runs everything again.
  run berth build --no-cache "$CTX"
  [ "$status" -eq 0 ]
  ! cached "$(step_of 'COPY a.txt /a.txt')"
  ! cached "$(step_of 'RUN cat /a.txt > /a.copy')"
}

@test "build: RUN gets berth run's isolation (caps, seccomp, user namespace)" {
  probe="grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status"
  context <<EOF
FROM bb
RUN $probe > /status; cat /proc/self/uid_map > /uidmap
EOF
  berth build -q -t isolated "$CTX" >/dev/null
  built=$(berth run --rm isolated cat /status)
  [ "$built" = "$(berth run --rm bb sh -c "$probe")" ]
  [[ "$built" == *"Seccomp:"*2* ]]
  # CONTROL: the probe sees a privileged container's capabilities.
  [ "$built" != "$(berth run --rm --privileged bb sh -c "$probe")" ]
  # The step ran in a user namespace: root inside is not root outside.
  run berth run --rm isolated cat /uidmap
  [[ "$output" =~ ^[[:space:]]*0[[:space:]]+[1-9][0-9]*[[:space:]]+65536$ ]]
  # CONTROL: the same probe shows the host's identity map without one.
  run berth run --rm --userns=host bb cat /proc/self/uid_map
  [[ "$output" =~ ^[[:space:]]*0[[:space:]]+0[[:space:]]+4294967295$ ]]
}

@test "build: --network none gives RUN only loopback; the default a bridge" {
  context <<'EOF'
FROM bb
RUN cat /proc/net/dev > /netdev
EOF
  berth build -q -t netnone --network none "$CTX" >/dev/null
  run berth run --rm netnone cat /netdev
  [[ "$output" == *"lo:"* ]]
  [[ "$output" != *"eth0:"* ]]
  berth build -q -t netbridge "$CTX" >/dev/null
  run berth run --rm netbridge cat /netdev
  [[ "$output" == *"eth0:"* ]]
  run berth build --network bogus "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *'network mode "bogus" not supported'* ]]
  # RUN --network: one step's own.
  context <<'EOF'
FROM bb
RUN --network=none cat /proc/net/dev > /netdev
EOF
  berth build -q -t netstep "$CTX" >/dev/null
  run berth run --rm netstep cat /netdev
  [[ "$output" == *"lo:"* ]]
  [[ "$output" != *"eth0:"* ]]
}

@test "build: a failing RUN exits 1, leaves no container and moves no tag" {
  context <<'EOF'
FROM bb
RUN echo kept > /kept
EOF
  berth build -q -t keep "$CTX" >/dev/null
  old=$(berth image inspect -f '{{.Id}}' keep)
  context <<'EOF'
FROM bb
RUN echo before; false
EOF
  run berth build -t keep "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *' before'* ]]
  [[ "$output" == *'ERROR: process "/bin/sh -c echo before; false" did not complete successfully: exit code: 1'* ]]
  [[ "$output" == *'Dockerfile:2: process "/bin/sh -c echo before; false"'* ]]
  [ -z "$(berth ps -aq)" ]
  [ "$(berth image inspect -f '{{.Id}}' keep)" = "$old" ]
  # Exec form: the program's own status.
  context <<'EOF'
FROM bb
RUN ["sh", "-c", "exit 3"]
EOF
  run berth build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *'process "sh -c exit 3" did not complete successfully: exit code: 3'* ]]
  [ -z "$(berth ps -aq)" ]
}

@test "build: an interrupted build removes its container" {
  context <<'EOF'
FROM bb
RUN echo started; sleep 60
EOF
  "$BERTH" --root "$BERTH_ROOT" build "$CTX" >"$BATS_TEST_TMPDIR/out" 2>&1 &
  pid=$!
  # The RUN's own output line ("#5 0.041 started"), not its step line.
  wait_until grep -qE '^#[0-9]+ [0-9.]+ started$' "$BATS_TEST_TMPDIR/out"
  [ -n "$(berth ps -q)" ]
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 1 ]
  grep -q 'canceled' "$BATS_TEST_TMPDIR/out"
  [ -z "$(berth ps -aq)" ]
}

@test "build: Dockerfile errors name the line; usage errors exit 125" {
  context <<'EOF'
FROM bb
RUN true
RUNN true
EOF
  run berth build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Dockerfile:3: unknown instruction: RUNN"* ]]
  context <<'EOF'
FROM bb
COPY missing.txt /x
EOF
  run berth build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *'Dockerfile:2: '*'"missing.txt": not found'* ]]
  [ -z "$(berth ps -aq)" ]
  context <<'EOF'
FROM bb
COPY ../outside /x
EOF
  run berth build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Dockerfile:2: "*"outside the build context"* ]]
  # Refused, not ignored: without the mount the command sees other files.
  context <<'EOF'
FROM bb
RUN --mount=type=cache,target=/cache true
EOF
  run berth build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Dockerfile:2: RUN --mount is not supported"* ]]
  run berth build
  [ "$status" -eq 125 ]
  run berth build --no-such-flag "$CTX"
  [ "$status" -eq 125 ]
  run berth build -t 'Bad:Name' "$CTX"
  [ "$status" -eq 125 ]
  run berth build --progress fancy "$CTX"
  [ "$status" -eq 125 ]
  run berth build --platform linux/s390x "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"not supported"* ]]
}

@test "build: heredocs, exec form, and VOLUME contents kept by RUN" {
  context <<'EOF'
FROM bb AS files
VOLUME /data
RUN mkdir /data && echo in-volume > /data/f
FROM bb
RUN <<EOT
echo one > /h1
echo two >> /h1
EOT
RUN <<EOT
#!/bin/sh -e
echo "shebang" > /h2
EOT
ENV WHO=heredoc
RUN cat <<EOT > /h3
hello $WHO
EOT
COPY <<EOT /h4
copied $WHO
EOT
COPY <<'EOT' /h5
literal $WHO
EOT
RUN ["/bin/sh", "-c", "echo exec > /h6"]
COPY --from=files /data/f /h7
EOF
  run berth build -t heredocs "$CTX"
  [ "$status" -eq 0 ]
  [[ "$output" == *"RUN <<EOT (echo one > /h1...)"* ]]
  run berth run --rm heredocs cat /h1 /h2 /h3 /h4 /h5 /h6 /h7
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'one\ntwo\nshebang\nhello heredoc\ncopied heredoc\nliteral $WHO\nexec\nin-volume')" ]
}

@test "build: contexts from stdin, -f, -q, --iidfile, --label, image build, builder build" {
  context <<'EOF'
FROM bb
RUN echo from-stdin > /s
EOF
  run berth build -q -t stdin1 - <"$CTX/Dockerfile"
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  [ "$(berth run --rm stdin1 cat /s)" = from-stdin ]
  echo payload >"$CTX/p.txt"
  printf 'FROM bb\nCOPY p.txt /p.txt\n' >"$CTX/other.Dockerfile"
  tar -C "$CTX" -cf - . | berth build -q -t stdin2 -f other.Dockerfile - >/dev/null
  [ "$(berth run --rm stdin2 cat /p.txt)" = payload ]
  printf 'FROM bb\nCOPY p.txt /q.txt\n' |
    berth build -q -t stdin3 -f - "$CTX" >/dev/null
  [ "$(berth run --rm stdin3 cat /q.txt)" = payload ]
  run berth image build --iidfile "$BATS_TEST_TMPDIR/iid" --label team=a \
    --label x=y -t labelled -f "$CTX/other.Dockerfile" "$CTX"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/iid")" = "$(berth image inspect -f '{{.Id}}' labelled)" ]
  [ "$(cfg Labels labelled)" = '{"team":"a","x":"y"}' ]
  # Docker's other alias
  run berth builder build -q -t aliased -f "$CTX/other.Dockerfile" "$CTX"
  [ "$status" -eq 0 ]
  [ "$output" = "$(berth image inspect -f '{{.Id}}' aliased)" ]
}

@test "build: .dockerignore keeps files out of COPY" {
  context <<'EOF'
FROM bb
COPY . /ctx
EOF
  echo keep >"$CTX/keep.txt"
  echo secret >"$CTX/secret.txt"
  printf 'secret*\n' >"$CTX/.dockerignore"
  berth build -q -t ignored "$CTX" >/dev/null
  run berth run --rm ignored ls /ctx
  [[ "$output" == *keep.txt* ]]
  [[ "$output" != *secret* ]]
}
