#!/usr/bin/env bats
# Publishing forms end to end: -p CONTAINER (a free host port), ranges,
# -P (every exposed port), UDP, and a published port that keeps working
# for a second container started from the same image.  Ports 23400-23499.

load ../engine/engine

setup_file() { engine_setup_file; }
teardown() { engine_teardown; }
teardown_file() { engine_teardown_file; }

serve() { # NAME PORT ARGS...: httpd on PORT answering "NAME PORT"
  local name=$1 port=$2
  shift 2
  berth run -d --name "$name" "$@" bb sh -c \
    "mkdir -p /www && echo $name $port > /www/index.html && exec httpd -f -p $port -h /www"
}

host_port() { # NAME CTRPORT/PROTO: the host port berth chose
  berth port "$1" "$2" | head -1 | sed 's/.*://'
}

@test "-p CONTAINER publishes on a free host port the kernel chose" {
  serve anyport 80 -p 80
  hp=$(host_port anyport 80/tcp)
  [[ "$hp" =~ ^[0-9]+$ ]]
  [ "$hp" -gt 1024 ]
  wait_until curl -sf "http://127.0.0.1:$hp/"
  run curl -sf "http://127.0.0.1:$hp/"
  [ "$output" = "anyport 80" ]
}

@test "-p with ranges maps each port of the range" {
  berth run -d --name ranged -p 23401-23402:8001-8002 bb sh -c \
    'mkdir -p /a /b && echo a > /a/index.html && echo b > /b/index.html &&
     httpd -p 8001 -h /a && exec httpd -f -p 8002 -h /b' >/dev/null
  wait_until curl -sf http://127.0.0.1:23402/
  [ "$(curl -sf http://127.0.0.1:23401/)" = a ]
  [ "$(curl -sf http://127.0.0.1:23402/)" = b ]
  run berth port ranged
  [[ "$output" == *"8001/tcp -> 0.0.0.0:23401"* ]]
  [[ "$output" == *"8002/tcp -> 0.0.0.0:23402"* ]]
}

@test "-P publishes every exposed port on free host ports" {
  serve allports 8080 -P --expose 8080 --expose 9090
  hp=$(host_port allports 8080/tcp)
  [[ "$hp" =~ ^[0-9]+$ ]]
  [ -n "$(host_port allports 9090/tcp)" ]
  [ "$(host_port allports 9090/tcp)" != "$hp" ]
  wait_until curl -sf "http://127.0.0.1:$hp/"
  [ "$(curl -sf "http://127.0.0.1:$hp/")" = "allports 8080" ]
  # Without -P an exposed port is not published (the control).
  serve exposed 8080 --expose 8080
  run berth port exposed
  [ -z "$output" ]
}

@test "UDP ports are published too" {
  berth run -d --name udp -p 127.0.0.1:23403:5353/udp bb probe udpecho 5353 >/dev/null
  run berth port udp
  [[ "$output" == *"5353/udp -> 127.0.0.1:23403"* ]]
  run python3 - <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(20):
    s.sendto(b"ping", ("127.0.0.1", 23403))
    try:
        print(s.recvfrom(100)[0].decode())
        break
    except socket.timeout:
        time.sleep(0.1)
EOF
  [ "$output" = "echo ping" ]
}

@test "a stopped container's port is free again; the same port for another container works" {
  serve first 80 -p 23404:80
  wait_until curl -sf http://127.0.0.1:23404/
  # Taken while first runs (berth's own reservation).
  run berth run -d --name second -p 23404:80 bb sleep 60
  [ "$status" -eq 125 ]
  [[ "$output" == *"port is already allocated"* ]]
  berth rm -f second >/dev/null 2>&1 || true
  berth stop -t 1 first >/dev/null
  serve third 80 -p 23404:80
  wait_until curl -sf http://127.0.0.1:23404/
  [ "$(curl -sf http://127.0.0.1:23404/)" = "third 80" ]
  # ...and first may not start again while third holds it.
  run berth start first
  [ "$status" -ne 0 ]
  [[ "$output" == *"port is already allocated"* ]]
}
