#!/usr/bin/env python3
"""Generates a contacts CSV like staff really drop: mixed phone spellings, ~1% invalid, ~1% duplicates.

usage: gen_contacts.py ROWS OUT.csv [--variant N]
--variant changes names and tags but keeps the same numbers (a re-export, for the "full registry" run).
"""
import random, sys

rows, out = int(sys.argv[1]), sys.argv[2]
variant = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--variant" else 0
rng = random.Random(20261128)
first = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Isha", "Meera", "Dev"]
last = ["Sharma", "Patel", "Singh", "Iyer", "Reddy", "Nair", "Gupta", "Khan", "Das", "Mehta"]
tags = ["vip", "delhi", "mumbai", "newsletter", "staff", "pune", "diwali"]
numbers = []
with open(out, "w", newline="") as f:
    f.write("Name,Phone Number,Tags,City\n")
    for i in range(rows):
        r = rng.random()
        if r < 0.01:
            phone = rng.choice(["12345", "not known", "+91 12345 678", "98765", "0000000000"])
        elif r < 0.02 and numbers:
            phone = rng.choice(numbers)
        else:
            national = str(rng.choice("6789")) + "".join(str(rng.randrange(10)) for _ in range(9))
            style = rng.randrange(6)
            if style == 0: phone = national
            elif style == 1: phone = "+91 " + national[:5] + " " + national[5:]
            elif style == 2: phone = "0" + national
            elif style == 3: phone = "91-" + national
            elif style == 4: phone = "(+91) " + national[:4] + "-" + national[4:7] + "-" + national[7:]
            else: phone = "0091" + national
            numbers.append(phone)
        name = f"{rng.choice(first)} {rng.choice(last)}" + (f" v{variant}" if variant else "")
        tag = ", ".join(rng.sample(tags, rng.randrange(0, 3)) + ([f"batch{variant}"] if variant else []))
        f.write(f'{name},"{phone}","{tag}",{rng.choice(["Delhi", "Mumbai", "Pune"])}\n')
