import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { AwsConfig } from "../config/mod.ts";
import {
  assertObjectKey,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCallOptions,
} from "./object_store.ts";

/** Options for {@linkcode S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The bucket. */
  bucket: string;
  /** Prepended to every key; normalised to end in `/` unless empty. @default {""} */
  prefix?: string;
  /** Region and endpoint (`AWS_REGION`, `AWS_ENDPOINT_URL`); ignored when `client` is given. */
  aws?: AwsConfig;
  /** A ready client, e.g. shared with other code. */
  client?: S3Client;
  /**
   * Attempts the SDK makes per call before it throws. Callers with their own retry loop (the
   * archive) pass 1 so that every retry is theirs, counted and backed off.
   * @default {3}
   */
  maxAttempts?: number;
  /** One request is abandoned after this long. @default {30000} */
  requestTimeoutMs?: number;
}

/**
 * An {@linkcode ObjectStore} in an S3 bucket under a key prefix, through `@aws-sdk/client-s3`;
 * any S3-compatible endpoint works (moto in tests). A `PutObject` is whole and atomic by S3's
 * own semantics. Credentials come from the SDK's default chain (`AWS_ACCESS_KEY_ID`, profiles,
 * instance roles).
 *
 * @example
 * ```ts
 * const store = new S3ObjectStore({ bucket: "lake", prefix: "meetup", aws: awsConfig() });
 * await store.put("raw/2017/03/19/12/x.jsonl", bytes); // s3://lake/meetup/raw/2017/...
 * ```
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly #requestTimeoutMs: number;

  constructor(options: S3ObjectStoreOptions) {
    const { bucket, aws, maxAttempts = 3, requestTimeoutMs = 30_000 } = options;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new TypeError(
        `Cannot use S3 bucket as its name is invalid: current value is ${bucket}`,
      );
    }
    this.bucket = bucket;
    const trimmed = (options.prefix ?? "").replace(/^\/+/, "").replace(/\/+$/, "");
    this.prefix = trimmed === "" ? "" : `${trimmed}/`;
    this.location = `s3://${bucket}/${this.prefix}`;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.client =
      options.client ??
      new S3Client({
        region: aws?.region ?? "us-east-1",
        // moto and most S3-compatible servers need path-style addressing (no bucket DNS names).
        ...(aws?.endpoint === undefined ? {} : { endpoint: aws.endpoint, forcePathStyle: true }),
        maxAttempts,
      });
  }

  uri(key: string): string {
    assertObjectKey(key);
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  #signal(options: ObjectStoreCallOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    return options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  }

  async put(key: string, body: Uint8Array, options: ObjectStoreCallOptions = {}): Promise<void> {
    assertObjectKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body }),
        { abortSignal: this.#signal(options) },
      );
    } catch (error) {
      throw describe(error, `write ${this.uri(key)}`);
    }
  }

  async get(key: string, options: ObjectStoreCallOptions = {}): Promise<Uint8Array | undefined> {
    assertObjectKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
        { abortSignal: this.#signal(options) },
      );
      return response.Body === undefined
        ? new Uint8Array()
        : await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === "NoSuchKey") return undefined;
      throw describe(error, `read ${this.uri(key)}`);
    }
  }

  async *list(prefix: string, options: ObjectStoreCallOptions = {}): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
          }),
          { abortSignal: this.#signal(options) },
        );
      } catch (error) {
        throw describe(error, `list s3://${this.bucket}/${this.prefix}${prefix}`);
      }
      for (const { Key, Size } of page.Contents ?? []) {
        if (Key !== undefined) yield { key: Key.slice(this.prefix.length), size: Size ?? 0 };
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
  }

  async delete(key: string, options: ObjectStoreCallOptions = {}): Promise<void> {
    assertObjectKey(key);
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
        { abortSignal: this.#signal(options) },
      );
    } catch (error) {
      throw describe(error, `delete ${this.uri(key)}`);
    }
  }
}

/** An error whose message says the action, keeping the SDK error as `cause`. */
function describe(error: unknown, action: string): Error {
  const { name, message } = error as Error;
  return new Error(`Cannot ${action}: ${name}: ${message}`, { cause: error });
}
