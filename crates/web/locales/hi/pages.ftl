# हर पेज का ढाँचा: ऊपर का हिस्सा, नीचे का हिस्सा, भाषा बदलना।

skip-to-content = सीधे सामग्री पर जाएँ
log-out = लॉग आउट
footer-privacy-notice = निजता सूचना
footer-booking-by = बुकिंग:
footer-privacy = निजता
footer-api = API
language-switch = भाषा
