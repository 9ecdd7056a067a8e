import type { Db } from './database.js';

/** A Heroku CI test run, numbered per pipeline, with its one test node's outcome and output. */
export interface TestRunRecord {
  readonly id: string;
  readonly pipelineId: string;
  readonly number: number;
  /** pending, creating, building, running, succeeded, failed, errored, cancelled. */
  readonly status: string;
  readonly commitBranch: string;
  readonly commitMessage: string;
  readonly commitSha: string;
  readonly sourceBlobUrl: string;
  readonly message: string | null;
  readonly setupId: string | null;
  /** The id of its test node (one node per run on Berth). */
  readonly nodeId: string;
  readonly exitCode: number | null;
  readonly setupOutput: string;
  readonly testOutput: string;
  /** In the node's stream URLs, which need no other auth. */
  readonly secret: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type TestRunChanges = Partial<Pick<TestRunRecord, 'status' | 'message' | 'setupId' | 'exitCode' | 'setupOutput' | 'testOutput'>>;

interface Row {
  id: string;
  pipeline_id: string;
  number: number;
  status: string;
  commit_branch: string;
  commit_message: string;
  commit_sha: string;
  source_blob_url: string;
  message: string | null;
  setup_id: string | null;
  node_id: string;
  exit_code: number | null;
  setup_output: string;
  test_output: string;
  secret: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS: Readonly<Record<keyof TestRunChanges, string>> = {
  status: 'status',
  message: 'message',
  setupId: 'setup_id',
  exitCode: 'exit_code',
  setupOutput: 'setup_output',
  testOutput: 'test_output',
};

function toRecord(r: Row): TestRunRecord {
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    number: r.number,
    status: r.status,
    commitBranch: r.commit_branch,
    commitMessage: r.commit_message,
    commitSha: r.commit_sha,
    sourceBlobUrl: r.source_blob_url,
    message: r.message,
    setupId: r.setup_id,
    nodeId: r.node_id,
    exitCode: r.exit_code,
    setupOutput: r.setup_output,
    testOutput: r.test_output,
    secret: r.secret,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class TestRunsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts the run with the pipeline's next number (call inside a transaction). */
  insert(record: Omit<TestRunRecord, 'number'>): TestRunRecord {
    const next = (this.#db.prepare('SELECT COALESCE(MAX(number), 0) + 1 FROM test_runs WHERE pipeline_id = ?').pluck().get(record.pipelineId) as number);
    const full: TestRunRecord = { ...record, number: next };
    this.#db
      .prepare(
        `INSERT INTO test_runs (id, pipeline_id, number, status, commit_branch, commit_message, commit_sha, source_blob_url, message, setup_id,
           node_id, exit_code, setup_output, test_output, secret, created_at, updated_at)
         VALUES (@id, @pipelineId, @number, @status, @commitBranch, @commitMessage, @commitSha, @sourceBlobUrl, @message, @setupId,
           @nodeId, @exitCode, @setupOutput, @testOutput, @secret, @createdAt, @updatedAt)`,
      )
      .run(full);
    return full;
  }

  get(id: string): TestRunRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM test_runs WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  byNumber(pipelineId: string, number: number): TestRunRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM test_runs WHERE pipeline_id = ? AND number = ?').get(pipelineId, number) as Row | undefined;
    return row && toRecord(row);
  }

  listByPipeline(pipelineId: string): TestRunRecord[] {
    return (this.#db.prepare('SELECT * FROM test_runs WHERE pipeline_id = ? ORDER BY number').all(pipelineId) as Row[]).map(toRecord);
  }

  update(id: string, changes: TestRunChanges, now: string): TestRunRecord {
    const sets: string[] = ['updated_at = @now'];
    const values: Record<string, unknown> = { id, now };
    for (const [key, value] of Object.entries(changes) as Array<[keyof TestRunChanges, unknown]>) {
      sets.push(`${COLUMNS[key]} = @${key}`);
      values[key] = value;
    }
    this.#db.prepare(`UPDATE test_runs SET ${sets.join(', ')} WHERE id = @id`).run(values);
    return this.get(id) as TestRunRecord;
  }

  /** Runs a killed daemon left unfinished. */
  listUnfinished(): TestRunRecord[] {
    return (this.#db.prepare("SELECT * FROM test_runs WHERE status IN ('pending', 'creating', 'building', 'running')").all() as Row[]).map(toRecord);
  }
}
