import { type Env, raw, str, url } from "./_env.ts";

/** Standard AWS SDK settings; the endpoint points at the moto server in tests. */
export interface AwsConfig {
  /** `AWS_REGION`, default `us-east-1`. */
  region: string;
  /** `AWS_ENDPOINT_URL`: unset means the real AWS endpoints. */
  endpoint: string | undefined;
}

/** Reads {@linkcode AwsConfig} from the environment. */
export function awsConfig(env: Env = process.env): AwsConfig {
  const endpoint = raw(env, "AWS_ENDPOINT_URL");
  return {
    region: str(env, "AWS_REGION", "us-east-1"),
    endpoint:
      endpoint === undefined
        ? undefined
        : url(env, "AWS_ENDPOINT_URL", endpoint, ["http:", "https:"]),
  };
}
