"""A sandbox AWS for ssm-doctor: moto plus the Systems Manager operations it lacks, and a seeded fleet."""
