#!/usr/bin/env bash
# Records one protocol's traffic with tshark and prints it decoded.
#
#   scripts/capture.sh <rest|rpc|ws|grpc|graphql|sse|webhooks|amqp|mqtt|all> [seconds] [file.pcapng]
#
# Listens on the Compose bridge (br-protocols) when the stack runs, inside the gateway's
# network namespace when the Swarm stack runs (CAPTURE_STACK names it, protocols-swarm by
# default), on loopback otherwise (`protocols serve`). Decoders are set for this project: HTTP on the HTTP
# services' ports, HTTP/2 on the gRPC ports with proto/ as the protobuf search path (so
# gRPC messages are shown field by field), WebSocket frames unmasked (tshark's default),
# AMQP 0-9-1 on RabbitMQ's port and MQTT on Mosquitto's, and MQTT inside WebSocket frames
# where the upgrade agreed on the sub-protocol "mqtt" (scripts/mqtt-over-websocket.lua).
# CAPTURE_PORTS="8001 8003" overrides the ports (the tests use random ones);
# CAPTURE_GRPC_PORTS, CAPTURE_AMQP_PORTS and CAPTURE_MQTT_PORTS say which of them carry
# gRPC, AMQP and plain MQTT (every other port is read as HTTP).
set -euo pipefail
what="${1:-all}"
seconds="${2:-10}"
out="${3:-$(mktemp --suffix=.pcapng)}"
root="$(cd "$(dirname "$0")/.." && pwd)"

case "$what" in
    rest) ports="8001 8080" ;;
    rpc) ports="8002 8080" ;;
    ws) ports="8003 8080" ;;
    grpc) ports="50051 8081" ;;
    graphql) ports="8004 8080" ;;
    # Server-Sent Events: one GET whose answer never ends, on rest-svc's port.
    sse) ports="8001 8080" ;;
    # Webhooks: the subscription calls on rest-svc's port, and the deliveries rest-svc
    # makes to a receiver on these ports. In Compose, subscribe
    # http://gateway:8080/api/webhooks/echo so they cross the bridge (a container's calls
    # to itself stay inside it); with `protocols serve`, http://127.0.0.1:8001/api/webhooks/echo.
    # A receiver elsewhere: CAPTURE_PORTS="8001 9000".
    webhooks) ports="8001 8080" ;;
    # AMQP 0-9-1: messaging-svc and RabbitMQ (the exchange's publishes, the RPC queue's
    # requests and replies). In Compose the host's clients use 127.0.0.1:55672, which
    # Docker forwards to 5672 on the bridge, where this listens.
    amqp) ports="5672" ;;
    # MQTT: plain on 1883 (messaging-svc's publishes, mosquitto_sub on 51883 in Compose),
    # over WebSocket on Mosquitto's 9001 (the gateway's side of /mqtt) and on the gateway's
    # 8080 (the browser's side).
    mqtt) ports="1883 9001 8080" ;;
    all) ports="8001 8002 8003 8004 8005 8080 8081 50051 5672 1883 9001" ;;
    *) echo "usage: $0 <rest|rpc|ws|grpc|graphql|sse|webhooks|amqp|mqtt|all> [seconds] [file]" >&2; exit 2 ;;
esac
ports="${CAPTURE_PORTS:-$ports}"
grpc_ports="${CAPTURE_GRPC_PORTS:-50051 8081}"
amqp_ports="${CAPTURE_AMQP_PORTS:-5672}"
mqtt_ports="${CAPTURE_MQTT_PORTS:-1883}"

# Where to listen: the Compose bridge; else, when the Swarm stack (deploy/swarm/stack.yml)
# runs here, inside its gateway's network namespace (an overlay has no fixed bridge on the
# host: there, every interface of the gateway shows the calls coming in from the routing
# mesh and going out to the services); else loopback.
iface=lo
in_netns=()
swarm_gateway="$(docker ps -q --filter "label=com.docker.swarm.service.name=${CAPTURE_STACK:-protocols-swarm}_gateway" 2>/dev/null | head -1 || true)"
if ip link show br-protocols >/dev/null 2>&1; then
    iface=br-protocols
elif [ -n "$swarm_gateway" ]; then
    iface=any
    in_netns=(nsenter -t "$(docker inspect -f '{{.State.Pid}}' "$swarm_gateway")" -n)
fi
filter="$(printf 'tcp port %s or ' $ports)"
filter="${filter% or }"

# How to read the capture: which ports carry HTTP/1.1, HTTP/2, AMQP or MQTT, and where the
# protos are. A WebSocket port (9001) is read as HTTP: the upgrade is HTTP, and tshark then
# follows the connection as WebSocket and hands each message to the dissector of the
# sub-protocol the 101 answer agreed on (Sec-WebSocket-Protocol: mqtt), which the Lua file
# registers for MQTT.
decode=(-o "uat:protobuf_search_paths:\"$root/proto\",\"TRUE\"" -X "lua_script:$root/scripts/mqtt-over-websocket.lua")
# The google/protobuf/*.proto the project's protos import: from libprotobuf-dev, or the
# copy inside Python's grpcio-tools.
for wkt in /usr/include "$(python3 -c 'import grpc_tools, os; print(os.path.dirname(grpc_tools.__file__) + "/_proto")' 2>/dev/null)"; do
    if [ -f "$wkt/google/protobuf/timestamp.proto" ]; then
        decode+=(-o "uat:protobuf_search_paths:\"$wkt\",\"FALSE\"")
        break
    fi
done
for port in $ports; do
    if [[ " $grpc_ports " == *" $port "* ]]; then
        decode+=(-d "tcp.port==$port,http2")
    elif [[ " $amqp_ports " == *" $port "* ]]; then
        decode+=(-d "tcp.port==$port,amqp")
    elif [[ " $mqtt_ports " == *" $port "* ]]; then
        decode+=(-d "tcp.port==$port,mqtt")
    else
        decode+=(-d "tcp.port==$port,http")
    fi
done

where="$iface"
[ -n "$swarm_gateway" ] && [ "$iface" = any ] && where="every interface of the Swarm gateway ${swarm_gateway:0:12}"
echo "capturing $what on $where ($filter) for ${seconds}s into $out" >&2
# tshark says "Capturing on …" on stderr once it records: wait for that line before
# making traffic (the tests do).
"${in_netns[@]}" tshark -q -i "$iface" -f "$filter" -a "duration:$seconds" -w "$out" 2>&1 >/dev/null \
    | grep --line-buffered -E "^Capturing on|Capture started|packets? captured" >&2 || true
# One line per frame: number, who sent it to whom (on the bridge: container addresses;
# 172.x.0.1 is the host, through Docker's port forwarding), protocol, summary.
# AMQP's first 8 bytes, the protocol header "AMQP" 0 0 9 1, are matched by their bytes:
# tshark 4.0 shows them ("AMQP (unknown version)") but puts no amqp field in the frame.
tshark -r "$out" "${decode[@]}" -Y 'http || http2.type == 0 || http2.type == 1 || websocket || grpc || protobuf || amqp || tcp.payload[0:4] == "AMQP" || mqtt' \
    -T fields -E separator=/t -e frame.number -e ip.src -e ip.dst -e _ws.col.Protocol -e _ws.col.Info \
    | awk -F '\t' '{ printf "%4s  %-15s -> %-15s  %-10s %s\n", $1, $2, $3, $4, $5 }'
if [ -n "${CAPTURE_VERBOSE:-}" ]; then
    tshark -r "$out" "${decode[@]}" -Y 'grpc || websocket' -V
fi
