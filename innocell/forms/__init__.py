"""WTForms (Flask-WTF) forms; CSRF is on for every one."""
