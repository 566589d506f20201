import http from 'k6/http';
import { check } from 'k6';

// 10x the expected peak of 40 requests per second.
export const options = {
  scenarios: { peak: { executor: 'constant-arrival-rate', rate: 400, timeUnit: '1s', duration: '2m', preAllocatedVUs: 200 } },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<300'] },
};

export default function () {
  const res = http.post(`${__ENV.BASE_URL}/orders`, JSON.stringify({ sku: 'A-100', qty: 1 }), { headers: { 'Content-Type': 'application/json' } });
  check(res, { created: (r) => r.status === 201 });
}
