-- MQTT inside WebSocket frames, for tshark and Wireshark (scripts/capture.sh and
-- `just shark` load it with -X lua_script:...).
--
-- Wireshark's WebSocket dissector hands each message to the dissector registered in its
-- "ws.protocol" table under the sub-protocol the upgrade agreed on (the 101 answer's
-- Sec-WebSocket-Protocol). Wireshark 4.0 (Debian bookworm's) registers nothing under
-- "mqtt", so the frames of /mqtt and of Mosquitto's port 9001 would show as bare data;
-- this line registers the MQTT dissector there. Harmless where it is already registered.
DissectorTable.get("ws.protocol"):add("mqtt", Dissector.get("mqtt"))
