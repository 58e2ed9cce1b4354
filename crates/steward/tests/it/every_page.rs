//! Every page of the demo in a real browser, at two phones' widths and a laptop's: none
//! is wider than the screen (a table scrolls inside its own region, the page never does).
//! Then again on a phone whose system asks for dark colours: the pages follow it.
//! The business's public pages once more in a browser that asks for Hindi.
//! On every page, in light and in dark colours (and the public ones in Hindi), axe-core (Deque's accessibility rules, from
//! the npm registry; `.ci/run` installs it) finds nothing of serious or critical impact.
//! The pages are found the way a person finds them, by following the links from the
//! dashboard, so a new page is covered as soon as something links to it. A screenshot of
//! each page at each width is kept in the folder the test prints, for a person to look at.

use crate::browser::{chromedriver_binary, fill, start_browser, start_browser_with, wait_for_text};
use crate::cli::{DemoLogin, start_demo};
use crate::harness::{ScratchDir, skip_or_fail, suite_on_postgres};
use fantoccini::Locator;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Width and height of the screens tried: small and common phones, then a laptop.
const SCREENS: [(u32, u32); 3] = [(360, 740), (390, 844), (1366, 900)];

/// More than the demo has; a link loop cannot keep the test running.
const MOST_PAGES: usize = 80;

/// Pages of the same shape (`/app/customers/{id}`) looked at: two show the shape's layout.
const PER_SHAPE: usize = 2;

/// Where the screenshots go: `STEWARD_SCREENSHOTS`, else the test target's scratch folder.
fn screenshot_folder() -> std::path::PathBuf {
    std::env::var_os("STEWARD_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
}

/// A path with its ids (UUIDs, numbers, tokens) replaced, so pages of one kind group.
fn shape(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/')
        .map(|part| {
            if part.len() >= 16 || (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())) {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Links a person follows to another page of the app or of the business's public pages
/// (booking, privacy): not downloads, feeds or log-out.
fn is_page(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    ["/app", "/b/", "/p/"].iter().any(|start| href.starts_with(start))
        && ![".csv", ".ics", ".vcf", ".json", "/export", "/feed", "/download"].iter().any(|end| path.contains(end))
}

/// Saves what the browser shows of `path` into `screen`, named after the path; a screenshot
/// that fails is only a missing picture, not a failed test.
async fn keep_screenshot(client: &fantoccini::Client, screen: &std::path::Path, path: &str) {
    let name = path.trim_start_matches('/').replace(['/', '?', '=', '&'], "_");
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(screen.join(format!("{name}.png")), png);
    }
}

/// axe-core's script: `STEWARD_AXE_JS`, else where `.ci/run` installs it.
fn axe_script() -> Option<String> {
    let path = std::env::var_os("STEWARD_AXE_JS").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/steward-npm/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(path).ok()
}

/// What axe-core finds of serious or critical impact on the page the browser shows, one
/// line per rule broken: the rule, its impact and the first elements that break it.
async fn accessibility_problems(client: &fantoccini::Client, axe: &str, path: &str) -> Vec<String> {
    client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("load axe on {path}: {e}"));
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("run axe on {path}: {e}"));
    found.as_array().into_iter().flatten().filter_map(|v| v.as_str()).map(|v| format!("{path}: {v}")).collect()
}

/// Signs in on the login page as a person does.
async fn log_in(client: &fantoccini::Client, base: &str, login: &DemoLogin) {
    client.goto(&format!("{base}/login")).await.unwrap();
    fill(client, "workspace", &login.business).await;
    fill(client, "email", &login.email).await;
    fill(client, "password", &login.password).await;
    client.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(client, "Welcome,").await;
}

#[tokio::test]
async fn no_page_of_the_demo_is_wider_than_a_phone_or_fails_axe_and_dark_phones_get_dark_pages() {
    if chromedriver_binary().is_none() {
        skip_or_fail("chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    if suite_on_postgres() {
        // Layout is the same on every backend; the demo runs on SQLite in every pass.
        return;
    }
    let Some(axe) = axe_script() else {
        skip_or_fail("axe-core (npm install --prefix ~/.cache/steward-npm axe-core, or STEWARD_AXE_JS)");
        return;
    };
    let dir = ScratchDir::new("every-page");
    let (demo, login) = start_demo(&dir);
    let base = demo.base.replace("localhost", "127.0.0.1");
    let Some((_driver, _profile, client)) = start_browser().await else { return };
    // The pages before signing in, then every page found by following links from the
    // dashboard and from the business's booking page.
    let mut inaccessible = Vec::new();
    for path in ["/login", "/signup", "/forgot", "/privacy"] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        inaccessible.extend(accessibility_problems(&client, &axe, path).await);
    }
    log_in(&client, &base, &login).await;

    let booking = format!("/b/{}", login.business);
    let mut pages = Vec::new();
    let mut seen = BTreeSet::from(["/app".to_string(), booking.clone()]);
    let mut per_shape: BTreeMap<String, usize> = BTreeMap::new();
    let mut queue = VecDeque::from(["/app".to_string(), booking]);
    while let Some(path) = queue.pop_front() {
        if pages.len() >= MOST_PAGES {
            break;
        }
        client.goto(&format!("{base}{path}")).await.unwrap();
        pages.push(path);
        let links = client
            .execute("return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))", vec![])
            .await
            .unwrap();
        for href in links.as_array().into_iter().flatten().filter_map(|l| l.as_str()) {
            if !is_page(href) || seen.contains(href) {
                continue;
            }
            let count = per_shape.entry(shape(href)).or_default();
            if *count < PER_SHAPE {
                *count += 1;
                seen.insert(href.to_string());
                queue.push_back(href.to_string());
            }
        }
    }
    assert!(pages.len() >= 20, "the demo's pages were found by their links: {pages:?}");

    let folder = screenshot_folder();
    println!("screenshots of every page: {}", folder.display());
    let mut too_wide = Vec::new();
    for (width, height) in SCREENS {
        client.set_window_size(width, height).await.unwrap();
        let screen = folder.join(format!("{width}x{height}"));
        std::fs::create_dir_all(&screen).unwrap();
        for path in &pages {
            client.goto(&format!("{base}{path}")).await.unwrap();
            let sizes = client
                .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
                .await
                .unwrap();
            let (page_width, viewport) = (sizes[0].as_u64().unwrap_or(0), sizes[1].as_u64().unwrap_or(0));
            if page_width > viewport {
                too_wide.push(format!("{path} at {width}px: {page_width}px wide in a {viewport}px viewport"));
            }
            if width == 1366 {
                inaccessible.extend(accessibility_problems(&client, &axe, path).await);
            }
            keep_screenshot(&client, &screen, path).await;
        }
    }
    let _ = client.close().await;

    // The same pages on a phone set to dark colours.
    let Some((_dark_driver, _dark_profile, dark)) =
        start_browser_with(&["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]).await
    else {
        return;
    };
    dark.set_window_size(390, 844).await.unwrap();
    log_in(&dark, &base, &login).await;
    let screen = folder.join("390x844-dark");
    std::fs::create_dir_all(&screen).unwrap();
    let mut not_dark = Vec::new();
    for path in &pages {
        dark.goto(&format!("{base}{path}")).await.unwrap();
        let background = dark.execute("return getComputedStyle(document.body).backgroundColor", vec![]).await.unwrap();
        if background.as_str() != Some("rgb(18, 20, 23)") {
            not_dark.push(format!("{path}: {background}"));
        }
        inaccessible.extend(accessibility_problems(&dark, &axe, &format!("{path} (dark)")).await);
        keep_screenshot(&dark, &screen, path).await;
    }
    let _ = dark.close().await;

    // The public pages again in a browser that asks for Hindi: in Hindi, and as
    // accessible in it.
    let Some((_hindi_driver, _hindi_profile, hindi)) =
        start_browser_with(&["--lang=hi", "--accept-lang=hi-IN,hi"]).await
    else {
        return;
    };
    let booking: Vec<&str> =
        pages.iter().filter(|p| p.starts_with("/b/") || p.starts_with("/p/")).map(String::as_str).collect();
    assert!(booking.len() >= 2, "the booking pages were found: {pages:?}");
    let mut not_hindi = Vec::new();
    for path in ["/login", "/signup", "/forgot"].into_iter().chain(booking) {
        hindi.goto(&format!("{base}{path}")).await.unwrap();
        let lang = hindi.execute("return document.documentElement.lang", vec![]).await.unwrap();
        if !path.starts_with("/p/") && lang != "hi" {
            not_hindi.push(format!("{path}: lang={lang}"));
        }
        inaccessible.extend(accessibility_problems(&hindi, &axe, &format!("{path} (hi)")).await);
    }
    let _ = hindi.close().await;
    demo.kill_hard();
    assert!(not_hindi.is_empty(), "public pages not in Hindi for a Hindi browser:\n{}", not_hindi.join("\n"));
    assert!(too_wide.is_empty(), "pages wider than the screen:\n{}", too_wide.join("\n"));
    assert!(not_dark.is_empty(), "pages that kept light colours on a dark phone:\n{}", not_dark.join("\n"));
    assert!(inaccessible.is_empty(), "axe-core's serious and critical findings:\n{}", inaccessible.join("\n"));
}

#[test]
fn pages_of_one_kind_share_a_shape() {
    assert_eq!(shape("/app/customers/01936f0e-1c2b-7a3d-9e4f-0a1b2c3d4e5f"), "/app/customers/{id}");
    assert_eq!(shape("/app/calendar?week=2026-12-07"), "/app/calendar");
    assert!(is_page("/app/customers?q=asha"));
    assert!(!is_page("/app/customers/export.csv"));
    assert!(!is_page("/privacy"));
    assert!(is_page("/b/asha-salon/services/01936f0e-1c2b-7a3d-9e4f-0a1b2c3d4e5f"));
}
