//! The main flow in a real browser (Debian's Chromium through chromedriver): sign up,
//! confirm the email, invite a member, filter and verify the audit log, log out, log in,
//! log out.

use crate::harness::{Options, PASSWORD, ScratchDir, SmtpServer, TestServer, free_port, path_of, skip_or_fail};
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver_binary() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

async fn fill(client: &fantoccini::Client, id: &str, value: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("field #{id}: {e}"));
    field.clear().await.ok();
    field.send_keys(value).await.unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

async fn wait_for_text(client: &fantoccini::Client, text: &str) {
    for _ in 0..100 {
        if client.source().await.is_ok_and(|s| s.contains(text)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let source = client.source().await.unwrap_or_default();
    panic!("the page never showed '{text}'; it shows:\n{source}");
}

#[tokio::test]
async fn sign_up_invite_log_out_and_in_again_in_a_real_browser() {
    // promise: ACC-1
    // promise: ACC-4
    // promise: SEC-2
    // promise: SEC-3
    let Some(driver_path) = chromedriver_binary() else {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let Some(smtp) = SmtpServer::start().await else { return };
    let server =
        TestServer::start_with(Options { smtp_url: Some(smtp.url()), host: Some("localhost"), ..Default::default() })
            .await;
    let port = free_port();
    let _driver = Driver(
        Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = ScratchDir::new("chromium");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage", "--no-first-run", "--window-size=1200,900", format!("--user-data-dir={}", profile.0.display())] }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver");

    client.goto(&format!("{}/signup", server.base)).await.unwrap();
    fill(&client, "business_name", "Tulsi Wellness").await;
    fill(&client, "slug", "tulsi-wellness").await;
    fill(&client, "name", "Tara Owner").await;
    fill(&client, "email", "tara@tulsi.example").await;
    fill(&client, "password", PASSWORD).await;
    client.find(Locator::Id("accept_policy")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("form[action='/signup'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Please confirm your email address").await;

    let verify = smtp.wait_for_link("tara@tulsi.example", "/verify/").await;
    client.goto(&format!("{}{}", server.base, path_of(&verify))).await.unwrap();
    wait_for_text(&client, "Email confirmed").await;

    client.goto(&format!("{}/app/members", server.base)).await.unwrap();
    wait_for_text(&client, "Invite someone").await;
    fill(&client, "invite-email", "new.member@tulsi.example").await;
    client
        .find(Locator::Css("form[action='/app/members/invite'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Invitation sent.").await;
    wait_for_text(&client, "new.member@tulsi.example").await;
    smtp.wait_for_link("new.member@tulsi.example", "/invite/").await;

    let screenshot = client.screenshot().await.unwrap_or_default();
    let _ = std::fs::write(std::env::temp_dir().join("steward-members-page.png"), screenshot);

    // The owner filters the audit log and verifies the chain.
    client.goto(&format!("{}/app/audit", server.base)).await.unwrap();
    wait_for_text(&client, "invitation.created").await;
    fill(&client, "action", "invitation.created").await;
    client.find(Locator::Css("form[action='/app/audit'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "value=\"invitation.created\"").await;
    let filtered = client.source().await.unwrap_or_default();
    assert!(!filtered.contains("<code>member.login</code>"), "the filter shows only invitations");
    client.find(Locator::Css("form[action='/app/audit/verify'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "The log is intact").await;

    client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "You have logged out.").await;
    fill(&client, "workspace", "tulsi-wellness").await;
    fill(&client, "email", "tara@tulsi.example").await;
    fill(&client, "password", PASSWORD).await;
    client.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "Welcome, Tara Owner").await;
    client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "You have logged out.").await;
    client.close().await.ok();
}
