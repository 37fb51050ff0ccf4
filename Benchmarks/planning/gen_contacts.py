#!/usr/bin/env python3
"""A contacts spreadsheet as staff export it: mixed number formats, names in several scripts, a city, tags.
Every other row carries "spring" (the 1,000,000 audience of 2,000,000), every 20th "pilot" (100,000); some rows
carry "vip" or "staff" beside them (the excluded tag). usage: gen_contacts.py N > contacts.csv"""
import random, sys

n = int(sys.argv[1])
rng = random.Random(22)
first = ["Asha", "Ravi", "Meera", "José", "Zoë", "Ahmed", "Li", "Fatima", "Oluwaseun", "Anil", "Priyā", "Élodie", "राहुल", "محمد"]
last = ["Kumar", "Sharma", "Okafor", "García", "Nguyen", "Müller", "Singh", "O'Brien", "Das", "Haddad"]
cities = ["Pune", "Mumbai", "Chennai", "Kolkata", "Bengaluru", "Delhi", "Hyderabad", "Jaipur"]
print("Name,Phone,City,Tags")
for i in range(n):
    digits = f"98{i:08d}"
    shape = i % 4
    phone = ("+91 " + digits[:5] + " " + digits[5:]) if shape == 0 else ("0" + digits) if shape == 1 else ("91" + digits) if shape == 2 else ("+91-" + digits)
    tags = []
    if i % 2 == 0: tags.append("spring")
    if i % 20 == 0: tags.append("pilot")
    if i % 97 == 0: tags.append("staff")
    if i % 13 == 0: tags.append("vip")
    name = f"{rng.choice(first)} {rng.choice(last)}"
    print(f'"{name}",{phone},{rng.choice(cities)},"{";".join(tags)}"')
