// Schema migrations, applied in order; PRAGMA user_version records how many ran.
// Never edit a shipped migration: append a new one.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE account (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    released_at TEXT,
    maintenance INTEGER NOT NULL DEFAULT 0,
    stack TEXT NOT NULL,
    build_stack TEXT NOT NULL,
    region TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    slug_size INTEGER,
    buildpack_provided_description TEXT
  );
  CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    artifact_type TEXT,
    artifact_id TEXT,
    config TEXT NOT NULL,
    addon_plan_names TEXT NOT NULL DEFAULT '[]',
    user_id TEXT NOT NULL,
    user_email TEXT NOT NULL,
    output_stream_url TEXT,
    current INTEGER NOT NULL DEFAULT 0,
    UNIQUE (app_id, version)
  );
  CREATE INDEX releases_by_app ON releases(app_id, version);
  CREATE TABLE log_lines (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    ts TEXT NOT NULL,
    source TEXT NOT NULL,
    dyno TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX log_lines_by_app ON log_lines(app_id, seq);
  `,
  `
  CREATE TABLE slugs (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    checksum TEXT NOT NULL,
    size INTEGER NOT NULL,
    process_types TEXT NOT NULL,
    commit_sha TEXT,
    commit_description TEXT,
    stack TEXT NOT NULL,
    buildpack_provided_description TEXT,
    blob_path TEXT NOT NULL,
    image TEXT
  );
  CREATE TABLE builds (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    source_url TEXT NOT NULL,
    source_version TEXT,
    source_checksum TEXT,
    source_version_description TEXT,
    buildpacks TEXT,
    slug_id TEXT,
    release_id TEXT,
    output_secret TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_email TEXT NOT NULL,
    stack TEXT NOT NULL
  );
  CREATE INDEX builds_by_app ON builds(app_id, created_at);
  CREATE TABLE buildpack_installations (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    url TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (app_id, ordinal)
  );
  CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    size INTEGER
  );
  `,
  `
  CREATE TABLE formations (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    size TEXT NOT NULL,
    command TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, type)
  );
  CREATE TABLE dynos (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    command TEXT NOT NULL,
    size TEXT NOT NULL,
    state TEXT NOT NULL,
    release_id TEXT NOT NULL,
    release_version INTEGER NOT NULL,
    container_id TEXT,
    port INTEGER,
    attach_secret TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX dynos_by_app ON dynos(app_id, name);
  `,
  `
  CREATE TABLE log_drains (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, url)
  );
  CREATE INDEX log_drains_by_app ON log_drains(app_id, created_at);
  `,
  `
  CREATE TABLE domains (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    hostname TEXT NOT NULL UNIQUE,
    cname TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX domains_by_app ON domains(app_id, created_at);
  `,
  `
  CREATE TABLE images (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    commit_sha TEXT,
    processes TEXT NOT NULL
  );
  CREATE INDEX images_by_app ON images(app_id, created_at);
  `,
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    level TEXT NOT NULL,
    include TEXT NOT NULL,
    secret TEXT NOT NULL,
    authorization TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX webhooks_by_app ON webhooks(app_id, created_at);
  CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    include TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX webhook_events_by_app ON webhook_events(app_id, created_at);
  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    num_attempts INTEGER NOT NULL,
    next_attempt_at TEXT,
    last_attempt TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX webhook_deliveries_by_app ON webhook_deliveries(app_id, seq);
  CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries(status);
  `,
  `
  CREATE TABLE app_features (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
  );
  CREATE TABLE account_features (
    name TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE collaborators (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, email)
  );
  `,
  `
  CREATE TABLE slug_uploads (
    slug_id TEXT PRIMARY KEY REFERENCES slugs(id) ON DELETE CASCADE,
    secret TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE pipelines (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner_id TEXT,
    owner_type TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE pipeline_couplings (
    id TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL UNIQUE REFERENCES apps(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX pipeline_couplings_by_pipeline ON pipeline_couplings(pipeline_id, created_at);
  CREATE TABLE pipeline_promotions (
    id TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    source_app_id TEXT NOT NULL,
    source_release_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE pipeline_promotion_targets (
    id TEXT PRIMARY KEY,
    promotion_id TEXT NOT NULL REFERENCES pipeline_promotions(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    release_id TEXT,
    status TEXT NOT NULL,
    error_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX pipeline_promotion_targets_by_promotion ON pipeline_promotion_targets(promotion_id, created_at);
  `,
  `
  CREATE TABLE app_setups (
    id TEXT PRIMARY KEY,
    app_id TEXT,
    status TEXT NOT NULL,
    failure_message TEXT,
    manifest_errors TEXT NOT NULL,
    build_id TEXT,
    postdeploy_output TEXT,
    postdeploy_exit_code INTEGER,
    success_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE test_runs (
    id TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,
    commit_branch TEXT NOT NULL,
    commit_message TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    source_blob_url TEXT NOT NULL,
    message TEXT,
    setup_id TEXT,
    node_id TEXT NOT NULL,
    exit_code INTEGER,
    setup_output TEXT NOT NULL DEFAULT '',
    test_output TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (pipeline_id, number)
  );
  `,
  `
  CREATE TABLE review_apps (
    id TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    app_id TEXT,
    setup_id TEXT,
    branch TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX review_apps_by_pipeline ON review_apps(pipeline_id, branch);
  `,
  `
  CREATE TABLE pipeline_config_vars (
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (pipeline_id, stage, name)
  );
  `,
  `
  CREATE TABLE addons (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    app_id TEXT NOT NULL,
    service TEXT NOT NULL,
    plan TEXT NOT NULL,
    state TEXT NOT NULL,
    port INTEGER NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    database TEXT NOT NULL,
    container_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX addons_by_app ON addons(app_id, created_at);
  CREATE TABLE addon_attachments (
    id TEXT PRIMARY KEY,
    addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    name TEXT NOT NULL,
    namespace TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, name)
  );
  CREATE INDEX addon_attachments_by_addon ON addon_attachments(addon_id, created_at);
  `,
  `
  CREATE TABLE review_app_configs (
    pipeline_id TEXT PRIMARY KEY REFERENCES pipelines(id) ON DELETE CASCADE,
    repo TEXT,
    automatic_review_apps INTEGER NOT NULL DEFAULT 0,
    destroy_stale_apps INTEGER NOT NULL DEFAULT 0,
    stale_days INTEGER NOT NULL DEFAULT 5,
    wait_for_ci INTEGER NOT NULL DEFAULT 0,
    base_name TEXT,
    deploy_target TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE app_setup_scripts (
    setup_id TEXT PRIMARY KEY REFERENCES app_setups(id) ON DELETE CASCADE,
    scripts TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE sni_endpoints (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    certificate_chain TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, name)
  );
  ALTER TABLE domains ADD COLUMN sni_endpoint_id TEXT REFERENCES sni_endpoints(id) ON DELETE SET NULL;
  `,
  `
  CREATE TABLE addon_credentials (
    addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (addon_id, name)
  );
  `,
  `
  CREATE TABLE acm_disabled (
    app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE
  );
  CREATE TABLE app_former_names (
    name TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE
  );
  `,
  `
  -- A webhook event lives as long as a delivery of it: pruning deliveries (one statement) or deleting a webhook takes
  -- the events left without one along.
  CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);
  CREATE TRIGGER webhook_events_without_deliveries AFTER DELETE ON webhook_deliveries
  WHEN NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = OLD.event_id)
  BEGIN
    DELETE FROM webhook_events WHERE id = OLD.event_id;
  END;
  DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id);
  `,
];
