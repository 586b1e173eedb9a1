//! `bastide-relay`: runs a relay.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use anyhow::Context;
use bastide_relay::{Config, Limits, Server, Tokens};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// The Bastide relay: stores and forwards end-to-end encrypted changes.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the relay until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// UDP address to listen on.
        #[arg(long, env = "BASTIDE_RELAY_LISTEN", default_value = "0.0.0.0:4433")]
        listen: SocketAddr,
        /// Folder for the database and the certificate (created if missing).
        #[arg(long, env = "BASTIDE_RELAY_DATA", default_value = "/var/lib/bastide-relay")]
        data: PathBuf,
        /// Host name to print in the relay address that clients use (default: the listen IP).
        #[arg(long, env = "BASTIDE_RELAY_PUBLIC_HOST")]
        public_host: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Admission tokens: on a relay reachable from other machines, creating a space
    /// needs one (`bastide space create … --token T`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        /// The relay's data folder.
        #[arg(
            long,
            env = "BASTIDE_RELAY_DATA",
            default_value = "/var/lib/bastide-relay",
            global = true
        )]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues a token and prints it (the relay keeps only its hash).
    Create {
        /// Whom it is for, shown by `token list` (e.g. "Mairie de Saint-Julien").
        #[arg(long, default_value = "")]
        label: String,
        /// How many spaces it may create.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How many days it stays valid.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Lists the tokens: id, uses left, end date, label.
    List,
    /// Revokes a token by the id `token list` shows.
    Revoke {
        /// The token's id.
        id: String,
    },
}

/// Limits over the defaults (see docs/security.md for what each protects).
#[derive(Args)]
struct LimitArgs {
    /// Let anyone create a space, without an admission token (the default only on loopback).
    #[arg(long, env = "BASTIDE_RELAY_OPEN_CREATION")]
    open_creation: bool,
    /// Connections served at once [default: 512].
    #[arg(long, env = "BASTIDE_RELAY_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// New connections accepted per second, on average over 5 s [default: 100].
    #[arg(long, env = "BASTIDE_RELAY_HANDSHAKES_PER_SECOND")]
    handshakes_per_second: Option<u32>,
    /// Requests open at once on one connection [default: 64].
    #[arg(long, env = "BASTIDE_RELAY_STREAMS_PER_CONNECTION")]
    streams_per_connection: Option<u32>,
    /// Longest silence inside a request, in seconds [default: 30].
    #[arg(long, env = "BASTIDE_RELAY_IO_TIMEOUT")]
    io_timeout: Option<u64>,
    /// Request bytes held in memory across all connections, in MiB [default: 160].
    #[arg(long, env = "BASTIDE_RELAY_BUFFER_MIB")]
    buffer_mib: Option<usize>,
    /// Bytes a space may hold (entries and files), in MiB [default: 4096].
    #[arg(long, env = "BASTIDE_RELAY_SPACE_MIB")]
    space_mib: Option<u64>,
    /// Records a device may push per second [default: 100].
    #[arg(long, env = "BASTIDE_RELAY_ENTRIES_PER_SECOND")]
    entries_per_second: Option<u32>,
}

impl LimitArgs {
    fn apply(&self, limits: &mut Limits) {
        limits.open_creation |= self.open_creation;
        if let Some(n) = self.max_connections {
            limits.max_connections = n;
        }
        if let Some(n) = self.handshakes_per_second {
            limits.handshakes_per_second = n;
        }
        if let Some(n) = self.streams_per_connection {
            limits.streams_per_connection = n;
        }
        if let Some(s) = self.io_timeout {
            limits.io_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(mib) = self.buffer_mib {
            limits.relay_buffer = mib.saturating_mul(1024 * 1024);
        }
        if let Some(mib) = self.space_mib {
            limits.space_bytes = mib.saturating_mul(1024 * 1024);
        }
        if let Some(n) = self.entries_per_second {
            limits.entries_per_second = n;
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            data,
            public_host,
            limits,
        } => {
            let mut config = Config::new(listen, data.clone());
            config.public_host = public_host;
            limits.apply(&mut config.limits);
            if config.limits.open_creation {
                tracing::info!("anyone may create a space on this relay");
            } else {
                tracing::info!("creating a space needs an admission token (bastide-relay token create)");
            }
            let server = Server::spawn(config)
                .await
                .with_context(|| format!("starting the relay on {listen} with data in {}", data.display()))?;
            // Scripts read this line to learn the address and certificate fingerprint.
            println!("relay: {}", server.relay_addr());
            shutdown_signal().await;
            tracing::info!("shutting down");
            server.shutdown().await;
        }
        Command::Token { command, data } => {
            let tokens = Tokens::open(&data)
                .await
                .with_context(|| format!("opening the relay database in {}", data.display()))?;
            let done = token_command(&tokens, command).await;
            tokens.close().await;
            done?;
        }
    }
    Ok(())
}

async fn token_command(tokens: &Tokens, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { label, uses, days } => {
            anyhow::ensure!(uses > 0, "a token must allow at least one space (--uses)");
            anyhow::ensure!(days > 0, "a token must stay valid at least a day (--days)");
            let valid = Duration::from_secs(u64::from(days) * 86_400);
            let issued = tokens.create(&label, uses, valid).await?;
            println!("{}", issued.token);
            eprintln!(
                "token {} creates up to {uses} space(s) within {days} day(s); give it to whoever creates them",
                issued.id
            );
        }
        TokenCommand::List => {
            for token in tokens.list().await? {
                let state = if token.revoked {
                    "revoked".to_owned()
                } else {
                    format!("{} use(s) left", token.uses_left)
                };
                let until = time::OffsetDateTime::from_unix_timestamp(token.expires_at)
                    .map(|t| t.date().to_string())
                    .unwrap_or_default();
                println!("{}\t{state}\tuntil {until}\t{}", token.id, token.label);
            }
        }
        TokenCommand::Revoke { id } => {
            let revoked = tokens.revoke(&id).await?;
            anyhow::ensure!(
                revoked > 0,
                "no token has the id {id} (see `bastide-relay token list`)"
            );
            println!("revoked {id}");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
