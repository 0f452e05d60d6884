"""Words that say personal data follows, shared by the recognisers and the service's cheap filter
(plain strings: importing them loads no Presidio)."""

from __future__ import annotations

# "Password" in the languages customers type it in: senha, wachtwoord, hasło, şifre, ...
PASSWORD_WORDS = (
    r"senha|wachtwoord|has[łl]o|[şs]ifre[mn]?|parola|passord|l[öo]senord|salasana|heslo|jelszó|contrasenya|"
    r"contrase[ñn]a|mot\s+de\s+passe|kennwort|пароль|κωδικός|κωδικό|m[ậa]t\s+kh[ẩa]u|kata\s+sandi"
)
# Scripts written without spaces have no word boundary after the word ("パスワードは ...").
UNSPACED_PASSWORD_WORDS = r"パスワード|暗証番号|密码|密碼|비밀번호"
# Family relations after which a lowercase word may be a name ("my daughter joy uses the tablet").
FAMILY = (
    r"wife|husband|partner|son|daughter|mum|mom|mother|dad|father|brother|sister|grandson|granddaughter|"
    r"grandma|grandmother|grandad|grandfather|uncle|aunt|auntie|cousin|nephew|niece|fianc[ée]e?"
)
