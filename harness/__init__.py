"""Test and soak harness shared by the suite (tests/) and the soak runs (bench/): generators of hostile
input and the small apps that feed it to the product. Neither analysis/ nor ui/ imports it."""
