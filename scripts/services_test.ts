import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../modules/config/mod.ts";
import { servicesUp } from "../modules/testing/mod.ts";

const dataDir = mkdtempSync(join(tmpdir(), "services-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function services(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, "scripts/services.ts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}

test("services up is a no-op for services already up, and status reports them", () => {
  servicesUp("kafka", "postgres");
  const again = services(["up", "kafka", "postgres"]);
  expect(again.status).toBe(0);
  expect(again.stdout).toBe("kafka already up\npostgres already up\n");
  const status = services(["status"]);
  expect(status.stdout).toMatch(/^kafka +running +pid \d+ +127\.0\.0\.1:\d+/m);
  expect(status.stdout).toMatch(/^postgres +running/m);
});

test("services up fails with one line when the port is taken", () => {
  const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const result = services(["up", "kafka"], {
      KAFKA_PORT: String(squatter.port),
      KAFKA_CONTROLLER_PORT: String(squatter.port + 1),
      MEETUP_DATA_DIR: dataDir,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `services: kafka: port ${squatter.port} on 127.0.0.1 is taken by another process`,
    );
  } finally {
    squatter.stop(true);
  }
});

test("services rejects an unknown service or command, and a bad port setting", () => {
  expect(services(["up", "redis"]).stderr.trim()).toBe(
    "services: unknown service 'redis': expected one of kafka, postgres, moto",
  );
  const bad = services(["status"], { PG_PORT: "none" });
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe('Invalid PG_PORT="none": expected an integer from 1 to 65535');
  expect(services(["--help"]).stdout).toContain("Usage: bun scripts/services.ts");
});
