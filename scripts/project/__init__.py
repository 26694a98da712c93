"""The project a command runs in: its root, its stacks' config, its environments' shared settings.

Below every verb and the engine (they all read stacks through it). Inside, the arrows run one
way: `root` (Project, InputError) <- `environments` (shared settings, drift) <- `stack`
(load_stack, which refuses a drifted stack). The names below are the package's public surface.
"""

from scripts.project.root import UNDECRYPTED, InputError, Project
from scripts.project.stack import StackConfig, load_stack, stack_config, stack_config_for_pack

__all__ = ["UNDECRYPTED", "InputError", "Project", "StackConfig", "load_stack", "stack_config",
           "stack_config_for_pack"]
