"""Word lists for synthetic people: first names, last names, cities.

Emails use the reserved ``example.*`` domains (RFC 2606) and phone numbers the
UK range Ofcom reserves for drama (07700 900000–900999), so no generated
contact detail can belong to a real person.
"""

from __future__ import annotations

# fmt: off
# (Word lists read better as paragraphs than one name a line.)
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "Lucas", "Isabella", "Mateo",
    "Mia", "Levi", "Charlotte", "Leo", "Harper", "Ezra", "Luna", "James", "Aria", "Hugo", "Chloé", "Jonas",
    "Zoë", "Søren", "Ingrid", "Mohammed", "Fatima", "Yusuf", "Aisha", "Omar", "Leila", "Priya", "Arjun", "Ananya",
    "Rohan", "Mei", "Hiroshi", "Yuki", "Sakura", "Min-jun", "Ji-woo", "Carlos", "Lucía", "Diego", "Valentina",
    "Mateus", "Beatriz", "Kwame", "Amara", "Chidi", "Zanele", "Nikolai", "Anastasia", "Piotr", "Zofia", "Eoin",
    "Siobhán", "Matteo", "Giulia", "François", "Margaux", "Björn", "Astrid", "Tomás", "Inês", "Ahmet", "Elif",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Lefèvre", "Moreau", "Rossi", "Russo",
    "Bianchi", "Fernández", "González", "Pérez", "Silva", "Santos", "Oliveira", "Kowalski", "Nowak", "Novák",
    "Jensen", "Nielsen", "Hansen", "Andersson", "Johansson", "O'Brien", "Murphy", "Kelly", "Nakamura", "Tanaka",
    "Suzuki", "Kim", "Park", "Chen", "Wang", "Li", "Zhang", "Singh", "Patel", "Sharma", "Okafor", "Mensah",
    "Haddad", "Khan", "Yilmaz", "Demir", "Ivanova", "Petrov", "Van der Berg", "De Vries", "Janssen",
)
CITIES = (
    "London", "Manchester", "Leeds", "Bristol", "Edinburgh", "Glasgow", "Cardiff", "Belfast", "Birmingham",
    "Liverpool", "Dublin", "Amsterdam", "Berlin", "Paris", "Lyon", "Madrid", "Lisbon", "Milan", "Copenhagen",
)
# fmt: on
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
