// The limit for bench/http.ts: a bare node:http server answering every request with the same bytes.
import { createServer } from "node:http";

const body = Buffer.from(process.env.BARE_BODY ?? "{}");
const server = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`listening at http://127.0.0.1:${address.port}\n`);
});
