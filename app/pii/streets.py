"""Street-line patterns: how an address's street line is written in many countries. Plain regular
expressions, no Presidio, so the coaching engine can tell a customer gave an address (for repeat
asks) without loading the PII stack; `app.pii.recognizers` wraps them for Presidio."""

from __future__ import annotations

import re

STREET_TYPES = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|close|crescent|cres|place|pl|"
    "terrace|tce|parade|pde|square|sq|gardens|grove|hill|row|walk|highway|hwy|parkway|pkwy|circle|cir|trail|mews|"
    "quay|wharf|rise|view|green|park|cottages|villas|heights|meadows|chase|croft|yard|broadway|esplanade|"
    "stret|steet|sreet|strt|raod|avenu"
)
STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?(?:\s*[-/]\s*\d{1,5}[A-Za-z]?)?,?\s+"  # 221B, 5/18, 12-14
    r"(?:(?:[A-Za-zÀ-ÿ'’.-]+|\d{1,3}(?:st|nd|rd|th))\s+){0,3}?"  # Baker / Old Kent / Pennsylvania / W 57th
    rf"(?:{STREET_TYPES})\b\.?"
    r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?",
    re.IGNORECASE,
)
# German-style names with the number after them: Hauptstraße 12, Lindenweg 3a.
STREET_NUMBER_AFTER = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b"
)
_UNIT = r"(?:\s*[/-]\s*\d{1,4}[a-z]?)?"  # 15/3, 7-2
# German streets named "Am Rosenhang 3b", "In der Au 7"; Japanese block numbers first: 2-7-11 Higashi-Sakura.
STREET_GERMAN_PREPOSITION = re.compile(
    r"\b(?:Am|An der|An den|Auf dem|Auf der|Im|In der|In den|Zum|Zur|Unter den|Hinter der|Alte[rn]?)\s+"
    r"[A-ZÄÖÜ][\wäöüß-]+\s+\d{1,4}[a-z]?\b"
)
STREET_JAPANESE = re.compile(r"\b\d{1,2}-\d{1,2}-\d{1,3}\s+[A-Z][\w-]+")
# The same written with the street type as a suffix no English word ends in, so any case: Storgatan 8,
# Keizersgracht 221, Nørrebrogade 14, Mannerheimintie is left out ("tie"), so is "ring" (string, during).
STREET_SUFFIXED = re.compile(
    r"\b[^\W\d_]+(?:straße|strasse|gatan|gata|vägen|vagen|vegen|veien|vej|gade|stræde|straat|laan|gracht|plein|"
    r"kade|singel|steeg|dreef|katu|utca|ulice)\s+\d{1,4}[a-z]?" + _UNIT + r"\b",
    re.IGNORECASE,
)
_PARTICLE_WORDS = r"(?:(?:de|da|do|dos|das|del|della|delle|dei|di|des|du|la|le|les|el|los|las|l'|d')\s*)*"
_NAME_WORD = r"[^\W\d_][\w'’.-]*"
# Streets named after their type, the number after the name (Spanish, Portuguese, Italian, Catalan,
# Polish, Romanian): Calle de Alcalá 45, Rua Augusta 1200, Via Roma 12, ul. Długa 15/3. The types
# that are also English words ("via", "place", "route") need a capitalised name after them.
STREET_TYPE_FIRST = re.compile(
    r"\b(?:(?i:calle|c/|avenida|avda\.?|rua|travessa|alameda|estrada|viale|piazza|piazzale|corso|vicolo|carrer|"
    r"passeig|paseo|carretera|praça|praca|ul\.|ulica|aleja|al\.|os\.|osiedle|plac|strada|calea|odos|οδός)\s+"
    + _PARTICLE_WORDS
    + r"(?:"
    + _NAME_WORD
    + r"\s+){0,3}?"
    + _NAME_WORD
    + r"|(?:Via|Av\.|Avenue|Largo|Camino|Rue|Boulevard|Bd)\s+"
    + _PARTICLE_WORDS
    + r"(?:[A-ZÀ-Þ][\w'’.-]*\s+){0,3}?[A-ZÀ-Þ][\w'’.-]*)"
    r",?\s*(?:n[ºo°.]*\s*)?\d{1,5}[a-z]?" + _UNIT + r"\b"
    r"(?:,?\s*(?:\d{1,2}\s*[ºª°]\s*[a-z]?|(?:apto?|apartamento|piso|int|scala|esc|puerta|pta|andar|m|lok)\.?\s*\w{1,4}))*",
)
# The number first, then a French-style type and the name: 12 rue des Lilas, 1180 Rue Saint-Denis.
STREET_NUMBER_THEN_TYPE = re.compile(
    r"\b\d{1,5}[a-z]?(?:\s*bis|\s*ter)?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|quai)\s+"
    + _PARTICLE_WORDS
    + r"(?:(?!(?:and|but|in|on|at|for|to|is|was|since|please|i|my|it)\b)"
    + _NAME_WORD
    + r"\s+){0,2}"
    + r"(?!(?:and|but|in|on|at|for|to|is|was|since|please|i|my|it)\b)"
    + _NAME_WORD,
    re.IGNORECASE,
)
# A flat or house number, a building's name, then its road (Indian style): Flat 302, Sai Residency, MG Road.
STREET_BUILDING_FIRST = re.compile(
    r"\b(?:flat|house|plot|door|h\.?\s?no\.?)\s*(?:no\.?\s*)?#?\d{1,5}[a-z]?(?:/\d{1,4})?\s*,\s*"
    r"(?:" + _NAME_WORD + r"\s+){0,3}" + _NAME_WORD + r",\s*(?:" + _NAME_WORD + r"\s+){0,3}"
    rf"(?:{STREET_TYPES}|marg|nagar|colony|layout|main|cross)\b\.?",
    re.IGNORECASE,
)
# An Indian house number in a numbered sector or block: House No. 56, Sector 15-A.
STREET_SECTOR = re.compile(
    r"\b(?:flat|house|plot|h\.?\s?no)\.?\s*(?:no\.?\s*)?#?\d{1,5}[a-z]?\s*,\s*(?:sector|block|phase|pocket)\s*[\w-]{1,5}\b",
    re.IGNORECASE,
)
# Turkish: the name, then the type, then "No: 21": Şehit Muhtar Cad. No: 21, Bağdat Caddesi 145.
STREET_TURKISH = re.compile(
    r"\b(?:[A-ZÇĞİÖŞÜ][\wçğıöşü'’-]*\s+){1,3}(?:Cad\.?|Caddesi|Cd\.?|Sok\.?|Sokak|Sokağı|Sk\.?|Bulvarı|Blv\.?)"
    r"\s*(?:No\s*[:.]?\s*)?\d{1,4}[a-zA-Z]?(?:/\d{1,3})?"
)
# Colombian and other Latin-American grids: Cra. 7 #72-41, Calle 100 No. 8A-55, Av. 19 # 104-37.
STREET_GRID = re.compile(
    r"\b(?:cra|carrera|kr|cl|calle|av|avenida|ak|ac|dg|diagonal|tv|transversal)\.?\s*\d{1,3}\s*[a-z]?(?:\s*bis)?\s*"
    r"(?:#|no\.?|n[º°])\s*\d{1,3}\s*[a-z]?\s*-\s*\d{1,3}",
    re.IGNORECASE,
)
# Korean: the road name with its suffix and the building number (25 Banpo-daero, Teheran-ro 152), and
# the apartment block and unit (101-dong 1203-ho).
STREET_KOREAN = re.compile(
    r"\b(?:\d{1,4}(?:-\d{1,3})?\s+[A-Z][a-z]+-(?:daero|ro|gil)\b|[A-Z][a-z]+-(?:daero|ro|gil)\s+\d{1,4}(?:-\d{1,3})?\b|"
    r"\d{1,4}-dong\s+\d{1,5}-ho\b)"
)
# Japanese: a district, then its block numbers (Jingumae 3-14-2).
STREET_JAPANESE_AFTER = re.compile(r"\b[A-Z][a-z]+(?:-[a-z]+)?\s+\d{1,2}-\d{1,2}-\d{1,3}\b")
# Rural routes and post-office boxes.
STREET_BOX = re.compile(r"\b(?:(?:RR|R\.R\.|rural route|HC)\s*\d+,?\s*box\s*\d+|p\.?\s?o\.?\s*box\s*\d+)", re.I)
STREET_PATTERNS = (
    STREET,
    STREET_NUMBER_AFTER,
    STREET_SUFFIXED,
    STREET_TYPE_FIRST,
    STREET_NUMBER_THEN_TYPE,
    STREET_BUILDING_FIRST,
    STREET_BOX,
    STREET_GERMAN_PREPOSITION,
    STREET_JAPANESE,
    STREET_SECTOR,
    STREET_TURKISH,
    STREET_GRID,
    STREET_KOREAN,
    STREET_JAPANESE_AFTER,
)
