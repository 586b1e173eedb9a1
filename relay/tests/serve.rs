//! The `bastide-relay serve` binary: prints its address, keeps its certificate.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns it with the address it printed.
fn serve(data: &std::path::Path) -> (Relay, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_bastide-relay"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the relay binary starts");
    let mut relay = Relay(child);
    let stdout = relay.0.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    // read_line blocks until the relay prints (or exits, giving an empty line).
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the relay's first line");
    let addr = line
        .trim()
        .strip_prefix("relay: ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (relay, addr.to_owned())
}

#[test]
fn serve_prints_its_address_and_keeps_its_certificate_across_restarts() {
    let data = tempfile::tempdir().unwrap();
    let (first, addr) = serve(data.path());
    let parsed: bastide_proto::RelayAddr = addr.parse().expect("the printed address parses");
    assert_eq!(parsed.host, "127.0.0.1");
    assert_ne!(parsed.port, 0, "the real bound port is printed, not 0");
    drop(first);

    let (_second, again) = serve(data.path());
    let reparsed: bastide_proto::RelayAddr = again.parse().unwrap();
    assert_eq!(
        reparsed.fingerprint, parsed.fingerprint,
        "a restarted relay keeps its certificate, so invitations stay valid"
    );
    assert!(
        data.path().join("relay.db").exists(),
        "the log lives in the data folder"
    );
}

#[test]
fn serve_refuses_an_unusable_data_folder() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bastide-relay"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(!output.status.success(), "a file is not a data folder");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("data folder"),
        "the error names the problem: {stderr}"
    );
}
