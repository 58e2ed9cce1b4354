# What a page says when a form is refused: the field by its label, then what is wrong.
# A problem without a message here is said as Steward's English says it.

field-name = Your name
field-phone = Phone
field-email = Email
field-start = Start time
field-hold_id = This time
field-reminders = Reminders
problem-give-a-phone-number-or-an-email = give a phone number or an email
problem-is-required = is required
problem-is-already-taken = is already taken
problem-is-not-a-valid-email-address = is not a valid email address
error-sentence = { $field }: { $problem }.
problem-is-not-an-email-address-no = is not an email address (it has no @)
problem-is-not-a-valid-phone-number-8-to-15-digits-with-country-code = is not a valid phone number (8 to 15 digits with the country code)
problem-is-not-a-valid-indian-number-10-digits-after-91 = is not a valid Indian number (10 digits after +91)
problem-may-not-contain-control-characters = may not contain control characters
