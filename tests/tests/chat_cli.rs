//! `natter chat`, the terminal client, driven through its stdin and stdout
//! against a running system.

use std::process::Stdio;
use std::time::{Duration, Instant};

use natter_tests::{Device, System, user};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Reads stdout lines until one contains `needle`; fails after a deadline.
async fn expect_line(out: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, out.next_line()).await {
            Ok(Ok(Some(line))) if line.contains(needle) => {
                eprintln!("natter chat: {line}");
                return line;
            }
            Ok(Ok(Some(other))) => eprintln!("natter chat: {other}"),
            other => panic!("no line with {needle:?} from natter chat: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_client_lists_opens_sends_receives_and_shows_presence() {
    let sys = System::start(BIN, 1).await;
    let (bob, _) = user(&sys.client(0), "bobcli").await;
    let _carol = user(&sys.client(0), "carolcli").await;
    let (mut bob_dev, _) = Device::connect(&bob, "bob-phone").await;

    let mut cli = Command::new(BIN)
        .args(["chat", "--url", &sys.edges[0].url])
        .args([
            "--user",
            "alicecli",
            "--password",
            "password-alicecli",
            "--signup",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn natter chat");
    let mut stdin = cli.stdin.take().expect("stdin");
    let mut out = BufReader::new(cli.stdout.take().expect("stdout")).lines();
    expect_line(&mut out, "connected to edge").await;

    // Open a 1:1 with bob, who is online; send; bob gets it.
    stdin.write_all(b"/dm bobcli\n").await.expect("write");
    expect_line(&mut out, "── BOBCLI").await;
    expect_line(&mut out, "BOBCLI is online").await;
    stdin
        .write_all(b"hello from the terminal\n")
        .await
        .expect("write");
    let got = bob_dev.messages(1).await;
    assert_eq!(got[0].text, "hello from the terminal");
    let dm = got[0].channel;

    // Bob answers: the terminal prints it live in the open channel.
    bob_dev.send(dm, "b1", "hi terminal").await;
    expect_line(&mut out, "BOBCLI: hi terminal").await;

    // A group with carol; /list shows both channels, most recent first.
    stdin
        .write_all(b"/group Crew bobcli carolcli\n")
        .await
        .expect("write");
    expect_line(&mut out, "── Crew").await;
    expect_line(&mut out, "created Crew with").await;
    stdin.write_all(b"/list\n").await.expect("write");
    expect_line(&mut out, "1. Crew").await;
    expect_line(&mut out, "2. BOBCLI").await;
    stdin.write_all(b"/who\n").await.expect("write");
    expect_line(&mut out, "CAROLCLI (@carolcli)").await;

    // In the group: a message, a reaction and an edit (each shown as the channel's
    // event), then its forward to bob's 1:1, which bob gets marked forwarded.
    stdin.write_all(b"crew note\n").await.expect("write");
    let line = expect_line(&mut out, ": crew note").await;
    let seq: u64 = line
        .strip_prefix('[')
        .and_then(|l| l.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a seq in {line:?}"));
    for (cmd, shown) in [
        (format!("/react {seq} 👍"), format!("reacted 👍 to [{seq}]")),
        (
            format!("/edit {seq} crew notes"),
            format!("edited [{seq}]: crew notes"),
        ),
    ] {
        stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .expect("write");
        expect_line(&mut out, &shown).await;
    }
    stdin
        .write_all(format!("/forward {seq} bobcli\n").as_bytes())
        .await
        .expect("write");
    expect_line(&mut out, &format!("(forwarded {seq} to BOBCLI)")).await;
    let forwarded = loop {
        let m = bob_dev.messages(1).await.remove(0);
        if m.forwarded {
            break m;
        }
    };
    assert_eq!(
        (forwarded.channel, forwarded.text.as_str()),
        (dm, "crew notes")
    );

    // A message in a channel that is not open is announced, not lost.
    bob_dev.send(dm, "b2", "are you there?").await;
    expect_line(&mut out, "(new in channel").await;

    // Bob leaves: presence goes offline with a last-seen time.
    bob_dev.conn.close(Duration::from_secs(2)).await;
    expect_line(&mut out, "BOBCLI is offline (last seen").await;

    stdin.write_all(b"/quit\n").await.expect("write");
    let status = tokio::time::timeout(Duration::from_secs(10), cli.wait())
        .await
        .expect("natter chat exits on /quit")
        .expect("wait");
    assert!(status.success());
}
