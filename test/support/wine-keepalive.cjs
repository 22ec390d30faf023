// Preloaded (NODE_OPTIONS=--require) into the Windows package's node.exe under a Wine that lacks the
// Winsock option TCP_KEEPALIVE (IPPROTO_TCP 3; Wine 8.0 answers "Unknown IPPROTO_TCP optname 0x00000003").
// Node's fetch (undici) calls socket.setKeepAlive(true, 60000) right after net/tls.connect(),
// before the connection is made; libuv on Windows then sets the option as it creates the socket
// and fails the connect itself when setsockopt fails ("connect UNKNOWN", then "fetch failed").
// Real Windows has the option. This applies keep-alive once connected, as Node itself does for the
// keepAlive option of net.connect(); nothing else changes. Evidence: docs/windows.md.
"use strict";
const net = require("node:net");

const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (enable, initialDelay) {
  if (!this.connecting) return setKeepAlive.call(this, enable, initialDelay);
  this.once("connect", () => setKeepAlive.call(this, enable, initialDelay));
  return this;
};
