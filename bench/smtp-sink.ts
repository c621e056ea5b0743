// A local SMTP sink for the fan-out row of `npm run bench` (bench/fanout.ts), run as its own process so
// that its CPU is not the app's. Accepts every message (no TLS, no AUTH), counts messages and distinct
// recipients, and prints {"port":N} once listening, then {"accepted":N,"distinct":M,"cpuMs":C} whenever the
// counts changed (every 200 ms at most).
import { SMTPServer } from 'smtp-server';

let accepted = 0;
const recipients = new Set<string>();
const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  closeTimeout: 50,
  maxClients: 200,
  onData(stream, session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      accepted += 1;
      for (const r of session.envelope.rcptTo) recipients.add(r.address.toLowerCase());
      callback();
    });
  },
});
sink.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (sink.server.address() as { port: number }).port })}\n`);
});
let reported = -1;
const report = () => {
  if (accepted === reported) return;
  reported = accepted;
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ accepted, distinct: recipients.size, cpuMs: Math.round((cpu.user + cpu.system) / 1000) })}\n`);
};
setInterval(report, 200).unref();
process.on('SIGTERM', () => {
  report();
  sink.close(() => process.exit(0));
});
