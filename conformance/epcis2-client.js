// A real EPCIS 2.0 client against traceport: builds an ObjectEvent with the epcis2.js library,
// sends it with the library's capture function, polls the job, then reads the event back.
// Usage: node epcis2-client.js http://127.0.0.1:PORT
'use strict';

const { setup, capture, CaptureResponse, EPCISDocument, ObjectEvent, ReadPoint, BizLocation } = require('epcis2.js');

const base = process.argv[2];
if (!base) {
  console.error('usage: node epcis2-client.js BASE_URL');
  process.exit(2);
}

async function main() {
  // Capture needs a member of an organisation: run.sh passes that member's API token.
  const auth = process.env.TRACEPORT_TOKEN ? { authorization: `Bearer ${process.env.TRACEPORT_TOKEN}` } : {};
  setup({
    apiUrl: base,
    documentValidation: true,
    timeout: 10000,
    headers: { 'content-type': 'application/json', ...auth },
  });

  // A serial unique to this run, so a re-run against the same store is not a duplicate.
  const serial = `conf${Date.now()}`;
  // GTIN 08934567000017: Viet Nam prefix 893, check digit computed by hand (7).
  const epc = `https://id.gs1.org/01/08934567000017/21/${serial}`;

  const event = new ObjectEvent()
    .setEventTime(new Date().toISOString().replace('Z', '+00:00'))
    .setEventTimeZoneOffset('+00:00')
    .addEPC(epc)
    .setAction('ADD')
    .setBizStep('commissioning')
    .setDisposition('active')
    .setReadPoint(new ReadPoint().setId('urn:epc:id:sgln:8934567.00001.0'))
    .setBizLocation(new BizLocation().setId('urn:epc:id:sgln:8934567.00001.0'));

  const doc = new EPCISDocument().setCreationDate(new Date().toISOString()).addEvent(event);

  const res = await capture(doc);
  if (res.status !== 202) {
    throw new Error(`capture answered ${res.status}: ${await res.text()}`);
  }
  const job = new CaptureResponse(res);
  await job.pollForTheCaptureToFinish(50, 200);
  if (job.getRunningStatus() || !job.getSuccessStatus()) {
    throw new Error(`capture job did not succeed: ${JSON.stringify(job.getErrors())}`);
  }

  const url = `${base}/events?MATCH_epc=${encodeURIComponent(epc)}`;
  const back = await fetch(url, { headers: { accept: 'application/ld+json', ...auth } });
  if (back.status !== 200) {
    throw new Error(`GET ${url} answered ${back.status}: ${await back.text()}`);
  }
  const body = await back.json();
  const events = (((body.epcisBody || {}).queryResults || {}).resultsBody || {}).eventList || [];
  if (events.length !== 1 || !(events[0].epcList || []).includes(epc)) {
    throw new Error(`expected exactly the captured event back, got ${JSON.stringify(events)}`);
  }
  console.log(`epcis2.js: captured ObjectEvent for ${epc} (job ${job.getLocation()}) and read it back`);
}

main().catch((err) => {
  console.error(`epcis2.js client failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
