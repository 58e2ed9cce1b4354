# जब कोई फ़ॉर्म लौटाया जाए तो पेज क्या कहता है: फ़ील्ड का नाम, फिर क्या ग़लत है।
# जिस समस्या का संदेश यहाँ नहीं है, वह Steward की अंग्रेज़ी में कहा जाता है।

field-name = आपका नाम
field-phone = फ़ोन
field-email = ईमेल
field-start = शुरू होने का समय
field-hold_id = यह समय
field-reminders = याद दिलाना
problem-give-a-phone-number-or-an-email = फ़ोन नंबर या ईमेल दीजिए
problem-is-required = ज़रूरी है
problem-is-already-taken = पहले ही ले लिया गया है
problem-is-not-a-valid-email-address = सही ईमेल पता नहीं है
error-sentence = { $field }: { $problem }।
problem-is-not-an-email-address-no = ईमेल पता नहीं है (इसमें @ नहीं है)
problem-is-not-a-valid-phone-number-8-to-15-digits-with-country-code = सही फ़ोन नंबर नहीं है (देश के कोड के साथ 8 से 15 अंक)
problem-is-not-a-valid-indian-number-10-digits-after-91 = सही भारतीय नंबर नहीं है (+91 के बाद 10 अंक)
problem-may-not-contain-control-characters = में नियंत्रण वर्ण नहीं हो सकते
