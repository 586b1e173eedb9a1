//! `bastide-relay`: runs a relay.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use bastide_relay::{Config, Server};
use clap::{Parser, Subcommand};
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
    },
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
        } => {
            let mut config = Config::new(listen, data.clone());
            config.public_host = public_host;
            let server = Server::spawn(config)
                .await
                .with_context(|| format!("starting the relay on {listen} with data in {}", data.display()))?;
            // Scripts read this line to learn the address and certificate fingerprint.
            println!("relay: {}", server.relay_addr());
            shutdown_signal().await;
            tracing::info!("shutting down");
            server.shutdown().await;
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
