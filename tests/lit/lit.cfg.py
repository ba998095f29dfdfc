# lit configuration for nutshell's golden IR tests:
#   // RUN: nutshell-opt %s --passes=fuse | FileCheck %s
import os
import lit.formats

config.name = "nutshell"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".nsir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.nutshell_bin_dir), "tests", "lit-out")
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["PATH"] = os.pathsep.join(
    [config.nutshell_bin_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%models", os.path.join(config.nutshell_test_data_dir, "models")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
