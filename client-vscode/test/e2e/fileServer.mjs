// A loopback HTTP server for the model-download test: one file, sent slowly enough that the
// progress notification can be seen, with Range and If-Range as a model host answers them.
import { createHash } from 'node:crypto';
import * as http from 'node:http';

const SLICE = 256 * 1024;

/**
 * Serves `body` at `urlPath` on 127.0.0.1 (any other path: 404) at about `bytesPerSecond`.
 * Resolves to {url, requests, close}; `requests` lists {url, range} of every request.
 */
export async function serveFile(urlPath, body, bytesPerSecond = 3 * 1024 * 1024) {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url, range: req.headers.range });
    if (req.url !== urlPath) {
      res.writeHead(404, { 'Content-Length': 0 });
      res.end();
      return;
    }
    let start = 0;
    const ranged = /^bytes=(\d+)-$/.exec(req.headers.range || '');
    if (ranged && (!req.headers['if-range'] || req.headers['if-range'] === etag)) start = Number(ranged[1]);
    const chunk = body.subarray(start);
    res.writeHead(start ? 206 : 200, {
      'Content-Length': chunk.length,
      ETag: etag,
      'Accept-Ranges': 'bytes',
      ...(start ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    let offset = 0;
    const timer = setInterval(() => {
      if (offset >= chunk.length) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(chunk.subarray(offset, offset + SLICE));
      offset += SLICE;
    }, Math.round((1000 * SLICE) / bytesPerSecond));
    res.on('close', () => clearInterval(timer));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${urlPath}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}
