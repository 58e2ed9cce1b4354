# The frame around every page: header, footer, the language switch.

skip-to-content = Skip to content
log-out = Log out
footer-privacy-notice = Privacy notice
footer-booking-by = Booking by
footer-privacy = Privacy
footer-api = API
language-switch = Language
