print("attngen: CLI under construction")
