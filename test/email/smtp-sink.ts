// A real SMTP server in the test process (smtp-server), whose received messages are parsed with
// mailparser: what the app sends is read as a mail client would. It can refuse recipients with a 550,
// answer every connection with a temporary 421 (a server that is "down" for mail), or hold a message
// (await a hook) before accepting it.
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Received {
  to: string[];
  mail: ParsedMail;
  raw: string;
}

export class SmtpSink {
  readonly received: Received[] = [];
  readonly rejected = new Set<string>();
  /** Addresses answered with a temporary 451 (greylisting, a full mailbox) while listed here. */
  readonly deferred = new Set<string>();
  temporarilyDown = false;
  /** Called with each message before it is accepted (await it to hold the answer). */
  beforeAccept: ((to: string[]) => Promise<void>) | undefined;
  private server: SMTPServer;

  private constructor(readonly port: number) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      closeTimeout: 50,
      onConnect: (_session, callback) => {
        if (this.temporarilyDown) return callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        if (this.rejected.has(address.address.toLowerCase())) return callback(Object.assign(new Error('5.1.1 No such mailbox'), { responseCode: 550 }));
        if (this.temporarilyDown || this.deferred.has(address.address.toLowerCase())) return callback(Object.assign(new Error('4.3.2 Try again later'), { responseCode: 451 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          (async () => {
            if (this.beforeAccept) await this.beforeAccept(to);
            this.received.push({ to, mail: await simpleParser(raw), raw });
          })().then(
            () => callback(),
            (err: Error) => callback(err),
          );
        });
      },
    });
  }

  static async start(port = 0): Promise<SmtpSink> {
    const chosen = port || (await freePort());
    const sink = new SmtpSink(chosen);
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(chosen, '127.0.0.1', () => resolve());
    });
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): Received[] {
    return this.received.filter((r) => r.to.includes(address.toLowerCase()));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
