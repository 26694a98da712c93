import click


@click.group()
def shards() -> None:
    """placeholder"""
