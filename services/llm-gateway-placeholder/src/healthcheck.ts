/**
 * Container health check without curl: `node dist/healthcheck.js` exits 0 when `GET /healthz` on
 * the local port answers 200 within 2 s, 1 otherwise (including while draining, which answers 503).
 */
import * as http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const request = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
