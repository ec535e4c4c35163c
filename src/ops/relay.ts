import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/schema.js';

/** What the relays log through: the app's pino logger. */
interface Log {
  warn(object: object, message: string): void;
}

/** One channel that every server process hears: the device signals' SignalRelay (src/devices/service.ts). */
export interface Relay {
  publish(message: string): void;
  subscribe(listener: (message: string) => void): void;
  close(): Promise<void>;
}

/**
 * Redis pub/sub. The subscriber is a connection of its own (a subscribed Redis connection takes no
 * other commands), opened when the first listener arrives; ioredis subscribes again after a reconnect.
 */
export class RedisRelay implements Relay {
  private subscriber: Redis | undefined;

  private readonly redis: Redis;
  private readonly channel: string;
  private readonly log: Log;

  constructor(deps: { redis: Redis; channel: string; log: Log }) {
    ({ redis: this.redis, channel: this.channel, log: this.log } = deps);
  }

  publish(message: string): void {
    this.redis
      .publish(this.channel, message)
      .catch((error: unknown) => this.log.warn({ err: error }, 'could not relay a device signal through Redis'));
  }

  subscribe(listener: (message: string) => void): void {
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', (error) =>
      this.log.warn({ err: error }, 'the Redis subscriber for device signals failed; it reconnects'),
    );
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) listener(message);
    });
    subscriber
      .subscribe(this.channel)
      .catch((error: unknown) => this.log.warn({ err: error }, 'could not subscribe to device signals in Redis'));
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }
}

/**
 * PostgreSQL NOTIFY through the main database's pool, and LISTEN on a connection of its own, opened when
 * the first listener arrives (so that processes no device streams from hold no extra connection) and
 * opened again after it is lost.
 */
export class PostgresRelay implements Relay {
  private listener: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private readonly db: Db;
  private readonly url: string;
  private readonly channel: string;
  private readonly log: Log;

  /** `url`: the main database's, for the LISTEN connection. */
  constructor(deps: { db: Db; url: string; channel: string; log: Log }) {
    ({ db: this.db, url: this.url, channel: this.channel, log: this.log } = deps);
  }

  publish(message: string): void {
    sql`SELECT pg_notify(${this.channel}, ${message})`
      .execute(this.db)
      .catch((error: unknown) => this.log.warn({ err: error }, 'could not relay a device signal through PostgreSQL'));
  }

  subscribe(listener: (message: string) => void): void {
    const connect = () => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.url });
      this.listener = client;
      let lost = false;
      const onLost = (error?: Error) => {
        if (lost || this.closed) return;
        lost = true;
        this.log.warn({ err: error }, 'lost the PostgreSQL connection that hears device signals; reconnecting');
        client.end().catch(() => {});
        this.retry = setTimeout(connect, 1000);
        this.retry.unref();
      };
      client.on('error', onLost);
      client.on('end', () => onLost());
      client.on('notification', (notification) => {
        if (notification.channel === this.channel && notification.payload) listener(notification.payload);
      });
      client
        .connect()
        .then(() => client.query(`LISTEN ${this.channel}`))
        .catch(onLost);
    };
    connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.listener?.end().catch(() => {});
  }
}
