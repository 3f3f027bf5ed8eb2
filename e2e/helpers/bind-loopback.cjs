// Preloaded (`node --require`) into third-party test servers that listen on every interface
// (e.g. @modelcontextprotocol/server-everything): a listen() with a port and no host binds
// 127.0.0.1 instead, so tests never expose a server beyond loopback.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a `--require` preload is CommonJS
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
