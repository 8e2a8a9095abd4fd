"""The built-in tools that run inside the sandbox (DESIGN.md section 3).

```python
async with Toolbox(ToolboxConfig(workspace=Path("/workspace"))) as tools:
    declarations = tools.declarations()  # offer these to the model
    result = await tools.call("run_code", {"code": "1 + 1"})
```
"""

from agents.model_types import ToolDeclaration
from agents.tools.declarations import BUILTIN_TOOL_NAMES, builtin_declarations
from agents.tools.results import ImageData, ToolError, ToolResult
from agents.tools.toolbox import Toolbox
from agents.tools.toolbox_config import ToolboxConfig

__all__ = [
    "BUILTIN_TOOL_NAMES",
    "ImageData",
    "ToolDeclaration",
    "ToolError",
    "ToolResult",
    "Toolbox",
    "ToolboxConfig",
    "builtin_declarations",
]
