import FHIR
print("placeholder")
