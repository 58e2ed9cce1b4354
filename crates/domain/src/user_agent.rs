//! The browser and operating system named by a User-Agent header, coarsely (family only),
//! for usage counts. Versions and devices are deliberately dropped: they add little to a
//! count and much to fingerprinting.

/// `(browser, operating system)`, each `None` when unrecognised.
pub fn browser_and_os(user_agent: &str) -> (Option<&'static str>, Option<&'static str>) {
    let ua = user_agent.to_ascii_lowercase();
    let browser = if ua.contains("edg/") {
        Some("Edge")
    } else if ua.contains("opr/") || ua.contains("opera") {
        Some("Opera")
    } else if ua.contains("samsungbrowser") {
        Some("Samsung Internet")
    } else if ua.contains("firefox/") {
        Some("Firefox")
    } else if ua.contains("chrome/") || ua.contains("chromium/") || ua.contains("crios/") {
        Some("Chrome")
    } else if ua.contains("safari/") {
        Some("Safari")
    } else if ua.starts_with("curl/") {
        Some("curl")
    } else {
        None
    };
    let os = if ua.contains("android") {
        Some("Android")
    } else if ua.contains("iphone") || ua.contains("ipad") {
        Some("iOS")
    } else if ua.contains("windows") {
        Some("Windows")
    } else if ua.contains("mac os x") || ua.contains("macintosh") {
        Some("macOS")
    } else if ua.contains("cros") {
        Some("ChromeOS")
    } else if ua.contains("linux") {
        Some("Linux")
    } else {
        None
    };
    (browser, os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_and_systems_are_named() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(browser_and_os(chrome_android), (Some("Chrome"), Some("Android")));
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_and_os(safari_iphone), (Some("Safari"), Some("iOS")));
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(browser_and_os(edge), (Some("Edge"), Some("Windows")));
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(browser_and_os(firefox), (Some("Firefox"), Some("Linux")));
        assert_eq!(browser_and_os("something else"), (None, None));
    }
}
