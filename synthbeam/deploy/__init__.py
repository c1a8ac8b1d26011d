"""Deployment artefacts built from the code: Flex Template metadata and specs, launch bodies."""
