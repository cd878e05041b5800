//! `upr-tc`: the service and its administration commands.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use upr_tc::app::policy::Upload;
use upr_tc::auth::{Keys, Role};
use upr_tc::config::Settings;
use upr_tc::import::{Format, Mode};
use upr_tc::startup::Service;

/// The settings every command reads from the environment, as `--help` lists them (README.md,
/// "Configuration", says what each does; a test holds the two lists together).
const ENVIRONMENT: &str = "\
Settings are read from the environment (README.md, \"Configuration\", says what each does):
  DATABASE_URL         sqlite://data/upr-tc.sqlite3 (the default) or postgres://...
  DATABASE_READ_URL    a PostgreSQL replica for lists, search, exports and the feed
  UPR_TC_JWT_SECRET    HS256 secret of 32+ bytes (SQLite: data/jwt-secret is made)
  UPR_TC_BIND          address to listen on (default 127.0.0.1:8080)
  UPR_TC_LOG, UPR_TC_LOG_FORMAT   log filter (info) and format (json|text)
Tokens: UPR_TC_JWT_JWKS UPR_TC_JWT_ISSUER UPR_TC_JWT_AUDIENCE UPR_TC_JWT_LEEWAY
Limits: UPR_TC_JSON_LIMIT UPR_TC_BULK_LIMIT UPR_TC_RATE_LIMITS UPR_TC_TRUSTED_PROXIES
  UPR_TC_CORS_ORIGINS UPR_TC_POOL_SIZE UPR_TC_LOCK_TIMEOUT UPR_TC_SQLITE_MAP_SIZE
  UPR_TC_EXPORT_LIMIT UPR_TC_EXPORT_SEND_TIMEOUT UPR_TC_FEED_HORIZON UPR_TC_SEND_BUFFER
  UPR_TC_IDEMPOTENCY_ANSWER_LIMIT UPR_TC_IDEMPOTENCY_CLAIM_TIMEOUT UPR_TC_SEARCH_LIMIT
  UPR_TC_KEPT_BYTES UPR_TC_BODY_TIMEOUT UPR_TC_BULK_BODY_TIMEOUT UPR_TC_MAX_CONNECTIONS
  UPR_TC_MAX_CONNECTIONS_PER_ADDRESS UPR_TC_COORDINATION_TIMEOUT UPR_TC_STOP_TIMEOUT
  UPR_TC_UPLOAD_LIMIT UPR_TC_ATOMIC_ROW_LIMIT UPR_TC_EXPORT_MIN_RATE
Operations: UPR_TC_METRICS_BIND UPR_TC_METRICS_TOKEN OTEL_EXPORTER_OTLP_ENDPOINT
  MALLOC_ARENA_MAX";

#[derive(Parser)]
#[command(
    name = "upr-tc",
    version,
    about = "Repository of technical cooperation for implementing UPR recommendations",
    after_help = ENVIRONMENT
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve {
        /// Address to listen on [env: UPR_TC_BIND; default 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a signed bearer token (HS256, with the configured secret).
    Token {
        #[arg(long, value_enum)]
        role: Role,
        /// ISO alpha-3 code of the State, for role `state`.
        #[arg(long)]
        state: Option<String>,
        /// Stakeholder id of the organisation, for role `contributor`.
        #[arg(long)]
        stakeholder: Option<String>,
        /// Who the token is for.
        #[arg(long, default_value = "upr-tc-cli")]
        subject: String,
        /// How long the token is valid, e.g. `1h`, `30m`, `7d`.
        #[arg(long, default_value = "1h")]
        ttl: humantime::Duration,
    },
    /// Print the OpenAPI contract of the routes this binary serves.
    Openapi,
    /// Print the completion script of a shell, e.g. `upr-tc completions bash >
    /// /etc/bash_completion.d/upr-tc`, or `source <(upr-tc completions zsh)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Import a file into the configured database, as `POST /api/v1/bulk/…` does; prints the
    /// report as JSON.
    Import {
        #[arg(value_enum)]
        resource: Resource,
        /// The file to import.
        file: std::path::PathBuf,
        /// `csv` (the project's columns), `upr-info` (a UPR Info export), `ndjson`, or
        /// `ohchr-matrix` (OHCHR's thematic list of recommendations, a .docx); by default
        /// `ndjson` for .ndjson and .jsonl files, `ohchr-matrix` for .docx, `csv` otherwise.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// For an OHCHR matrix whose document does not say: the State under review (ISO
        /// alpha-3 code or name).
        #[arg(long)]
        state: Option<String>,
        /// For an OHCHR matrix whose document does not say: the Working Group session.
        #[arg(long)]
        session: Option<i64>,
        /// `atomic`: one bad row and nothing is written; `partial`: good rows are written.
        #[arg(long, value_enum, default_value = "atomic")]
        mode: Mode,
        /// Check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The encoding of a CSV file saved in another than UTF-8, as `charset` names it in
        /// an upload's `Content-Type` (`windows-1252`, `latin1`, `macintosh`, … : the WHATWG
        /// Encoding Standard's labels). A UPR Info export's is found without it.
        #[arg(long)]
        charset: Option<String>,
    },
    /// Fill an empty database with a generated, realistic data set (193 member States over
    /// four UPR cycles, stakeholders, activities, consent records, offers, assistance
    /// requests), written as `import` writes; prints what it wrote as JSON. The same seed makes
    /// the same data, ids included. A database that holds data is refused.
    Seed {
        /// `un`: 250,000 recommendations, 5,000 stakeholders, 50,000 activities, 10,000
        /// offers, 5,000 requests; `small`: about a fiftieth of it.
        #[arg(long, value_enum)]
        scale: upr_tc::seed::Scale,
        /// The seed of the random choices.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a year's annual report to files in a folder: `report-YEAR.json`,
    /// `report-YEAR-LANG.html`, or a CSV file per table (`TABLE.csv`).
    Report {
        /// The year (this year when not given).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// The folder to write to (made when missing).
        #[arg(long)]
        out: std::path::PathBuf,
        /// `public`: public activities only; `full`: every activity.
        #[arg(long, value_enum, default_value = "public")]
        scope: ReportScopeArg,
        /// The language of titles and labels: ar, en, es, fr, ru or zh.
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Json,
    Csv,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportScopeArg {
    Public,
    Full,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Resource {
    Recommendations,
    Stakeholders,
    Activities,
    AssistanceRequests,
    Offers,
}

impl From<Resource> for Upload {
    fn from(resource: Resource) -> Self {
        match resource {
            Resource::Recommendations => Upload::Recommendations,
            Resource::Stakeholders => Upload::Stakeholders,
            Resource::Activities => Upload::Activities,
            Resource::AssistanceRequests => Upload::AssistanceRequests,
            Resource::Offers => Upload::Offers,
        }
    }
}

/// The one connection of a command run by an operator (`import`, `seed`, `report`), with the
/// migrations applied.
fn operator_connection() -> anyhow::Result<upr_tc::db::PooledConnection> {
    let settings = Settings::from_env()?;
    let pool = upr_tc::db::connect(&settings.database, 1)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    conn.migrate()?;
    Ok(conn)
}

/// A progress bar of `len` steps drawn with `template` (on standard error, hidden when it is
/// not a terminal).
fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    indicatif::ProgressBar::new(len).with_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    )
}

fn import(
    resource: Resource,
    file: &std::path::Path,
    format: Option<Format>,
    (mode, dry_run): (Mode, bool),
    charset: Option<&str>,
    review: upr_tc::import::ohchr_matrix::Review,
) -> anyhow::Result<bool> {
    // The reference data (country names in six languages, themes), which the first row read
    // needs, is made ready while the database is opened: the writer waits for that row.
    std::thread::spawn(upr_tc::reference::reference);
    let mut conn = operator_connection()?;
    let format = format.unwrap_or_else(|| match file.extension().and_then(|e| e.to_str()) {
        Some("ndjson" | "jsonl") => Format::Ndjson,
        Some("docx") => Format::OhchrMatrix,
        _ => Format::Csv,
    });
    let mut opened =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    // As an upload's `charset` is read; a UPR Info export that names none is Mac Roman, or
    // windows-1252 once a spreadsheet saved it again.
    let charset = match (format, charset) {
        (_, Some(label)) => upr_tc::import::charset(format, label)
            .map_err(|e| anyhow::anyhow!("--charset {label}: {e}"))?,
        (Format::UprInfo, None) => upr_tc::import::guess_charset(&mut opened)
            .with_context(|| format!("cannot read {}", file.display()))?,
        (_, None) => None,
    };
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = progress_bar(size, "{bar:40} {bytes}/{total_bytes} {elapsed} {msg}");
    let reader = progress.wrap_read(std::io::BufReader::new(opened));
    let report = upr_tc::import::by_operator(
        &mut conn,
        resource.into(),
        reader,
        (format, charset),
        mode,
        dry_run,
        review,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    progress.finish_and_clear();
    out(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    Ok(!(mode == Mode::Atomic && report.rejected > 0))
}

fn seed(scale: upr_tc::seed::Scale, seed: u64) -> anyhow::Result<upr_tc::seed::Summary> {
    let mut conn = operator_connection()?;
    let progress = progress_bar(0, "{bar:40} {pos}/{len} {elapsed} {msg}");
    upr_tc::seed::run(&mut conn, scale, seed, &progress)
}

/// Writes a year's report into `out`; returns the files written.
fn report(
    year: Option<i32>,
    format: ReportFormat,
    out: &std::path::Path,
    scope: ReportScopeArg,
    lang: &str,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use upr_tc::domain::report::ReportScope;
    let language = upr_tc::domain::Language::of_code(lang).ok_or_else(|| {
        anyhow::anyhow!("--lang must be one of ar, en, es, fr, ru, zh (any ISO 639 code of one)")
    })?;
    let scope = match scope {
        ReportScopeArg::Public => ReportScope::Public,
        ReportScopeArg::Full => ReportScope::Full,
    };
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now()));
    let mut conn = operator_connection()?;
    let cache = upr_tc::app::report::ReportCache::default();
    let asked = upr_tc::app::report::Asked {
        scope,
        span: upr_tc::domain::report::Span::Year(year),
        language,
    };
    let (counted, _) = upr_tc::app::report::counted(&mut conn, &cache, asked)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = &counted.report;
    std::fs::create_dir_all(out).with_context(|| format!("cannot make {}", out.display()))?;
    let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    match format {
        ReportFormat::Json => files.push((
            out.join(format!("report-{year}.json")),
            serde_json::to_vec_pretty(report)?,
        )),
        ReportFormat::Html => files.push((
            out.join(format!("report-{year}-{}.html", language.code())),
            upr_tc::report_page::render(report).into_bytes(),
        )),
        // Files for people to open in a spreadsheet: a byte order mark first, which Excel
        // needs to read them as UTF-8.
        ReportFormat::Csv => {
            for table in &report.tables {
                files.push((
                    out.join(format!("{}.csv", table.name)),
                    [upr_tc::import::BOM, &upr_tc::report_page::csv(table)?].concat(),
                ));
            }
        }
    }
    for (path, bytes) in &files {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind } => {
            bound_malloc_arenas();
            let mut settings = Settings::from_env()?;
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            let service = Service::build(settings)?;
            actix_web::rt::System::new().block_on(upr_tc::startup::serve(service))
        }
        Command::Migrate => {
            let settings = Settings::from_env()?;
            // Token keys that `serve` would refuse are refused here too, before the database
            // is touched; the secret the service will sign with is made now when it is to be
            // made, so that tokens can be minted before the service first starts.
            let data_dir = settings.database.data_dir();
            if settings.jwt.secret.is_some()
                || settings.jwt.jwks_path.is_some()
                || data_dir.is_some()
            {
                Keys::load(&settings.jwt, data_dir)?;
            }
            let pool = upr_tc::db::connect(&settings.database, 1)?;
            let applied = pool
                .get()
                .context("cannot get a database connection")?
                .migrate()?;
            if applied.is_empty() {
                eprintln!("the database is up to date");
            }
            for version in applied {
                eprintln!("applied {version}");
            }
            Ok(())
        }
        Command::Token {
            role,
            state,
            stakeholder,
            subject,
            ttl,
        } => {
            token_flags(
                role,
                state.as_deref(),
                stakeholder.as_deref(),
                *ttl.as_ref(),
            )?;
            let settings = Settings::from_env()?;
            let keys = Keys::load_existing(&settings.jwt, settings.database.data_dir())?;
            let ttl = chrono::Duration::from_std(*ttl.as_ref()).context("--ttl is too long")?;
            let token = keys.mint(
                role,
                &subject,
                state.as_deref(),
                stakeholder.as_deref(),
                ttl,
            )?;
            out(&format!("{token}\n"))
        }
        Command::Openapi => out(&upr_tc::openapi::render()),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Written whole into memory first: clap_complete panics when its writer fails (a
            // pipe closed early), which `out` takes as done.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "upr-tc", &mut script);
            out(&String::from_utf8_lossy(&script))
        }
        Command::Seed { scale, seed } => {
            let summary = self::seed(scale, seed)?;
            out(&format!("{}\n", serde_json::to_string_pretty(&summary)?))
        }
        Command::Report {
            year,
            format,
            out,
            scope,
            lang,
        } => {
            let written = report(year, format, &out, scope, &lang)?;
            self::out(
                &written
                    .iter()
                    .map(|path| format!("{}\n", path.display()))
                    .collect::<String>(),
            )
        }
        Command::Import {
            resource,
            file,
            format,
            mode,
            dry_run,
            state,
            session,
            charset,
        } => {
            let review = upr_tc::import::ohchr_matrix::Review { state, session };
            let charset = charset.as_deref();
            if import(resource, &file, format, (mode, dry_run), charset, review)? {
                Ok(())
            } else {
                anyhow::bail!(
                    "some rows cannot be imported; nothing was written (see the report, or use --mode partial)"
                )
            }
        }
    }
}

/// The memory arenas glibc's allocator may make, as `serve` runs with them. glibc gives a
/// thread that finds the arenas busy one of its own, up to eight per core, and keeps what each
/// arena once held: under load the service's memory grew with its threads rather than with
/// its work (UN scale on PostgreSQL, docs/benchmarks.md: 167 MB of its own, 124 MB with one
/// arena per core and nothing slower). glibc reads the limit once, at start, from
/// `MALLOC_ARENA_MAX`; so unless the operator set it, `serve` starts itself again, in the same
/// process, with one arena per core. On other C libraries this does nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    const LIMIT: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(LIMIT).is_some() {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let error = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env(LIMIT, cores.to_string())
        .exec();
    // `exec` returns only when it did not happen: serve with glibc's default.
    tracing::warn!(%error, "cannot start again with {LIMIT} set; serving with glibc's arenas");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}

/// The flags of `upr-tc token` that go together, checked as they are named before anything
/// is read: a State for a `state` token and only for one, an organisation for a
/// `contributor` token and only for one (a token of another role would carry it unread), and a
/// lifetime.
fn token_flags(
    role: Role,
    state: Option<&str>,
    stakeholder: Option<&str>,
    ttl: std::time::Duration,
) -> anyhow::Result<()> {
    match (role, state, stakeholder) {
        (Role::State, None, _) => anyhow::bail!(
            "`--role state` needs `--state CODE`: the ISO alpha-3 code of the State the token \
             acts for"
        ),
        (Role::Contributor, _, None) => anyhow::bail!(
            "`--role contributor` needs `--stakeholder ID`: the id of the organisation the \
             token acts for"
        ),
        (role, Some(_), _) if role != Role::State => {
            anyhow::bail!("`--state` is for `--role state` only: other tokens act for no State")
        }
        (role, _, Some(_)) if role != Role::Contributor => anyhow::bail!(
            "`--stakeholder` is for `--role contributor` only: other tokens act for no \
             organisation"
        ),
        _ if ttl.is_zero() => anyhow::bail!("`--ttl` must be longer than 0s"),
        _ => Ok(()),
    }
}

/// Writes `text` to standard output. A reader that stops early (`| head`) is no error: what it
/// did not read was not wanted.
fn out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = upr_tc::telemetry::init().and_then(|()| run(cli));
    upr_tc::otlp::shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("upr-tc: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token_flags;
    use upr_tc::auth::Role;

    #[test]
    fn a_tokens_flags_go_with_its_role() {
        let hour = std::time::Duration::from_secs(3600);
        let id = "0193a5b2-7c1d-7e0f-8a9b-0c1d2e3f4a5b";
        assert!(token_flags(Role::State, Some("KEN"), None, hour).is_ok());
        assert!(token_flags(Role::Contributor, None, Some(id), hour).is_ok());
        assert!(token_flags(Role::Admin, None, None, hour).is_ok());
        for (role, state, stakeholder, ttl, says) in [
            (Role::State, None, None, hour, "--state CODE"),
            (Role::Contributor, None, None, hour, "--stakeholder ID"),
            (Role::Admin, Some("AFG"), None, hour, "`--state` is for"),
            (
                Role::State,
                Some("AFG"),
                Some(id),
                hour,
                "`--stakeholder` is for",
            ),
            (Role::Sync, None, None, std::time::Duration::ZERO, "`--ttl`"),
        ] {
            let error = token_flags(role, state, stakeholder, ttl)
                .unwrap_err()
                .to_string();
            assert!(error.contains(says), "{role:?}: {error}");
        }
    }

    /// Every setting README.md's table names is listed by `--help`, and no other.
    #[test]
    fn help_lists_the_settings_the_readme_does() {
        let readme = include_str!("../../README.md");
        let named = |text: &str| -> std::collections::BTreeSet<String> {
            text.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .filter(|w| {
                    w.starts_with("UPR_TC_")
                        || [
                            "DATABASE_URL",
                            "DATABASE_READ_URL",
                            "OTEL_EXPORTER_OTLP_ENDPOINT",
                            "MALLOC_ARENA_MAX",
                        ]
                        .contains(w)
                })
                .map(str::to_owned)
                .collect()
        };
        let table: String = readme
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| l.split('|').nth(1).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(named(super::ENVIRONMENT), named(&table));
    }
}
