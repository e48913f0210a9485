import { describeCrashSafety } from "../support/crash-safety.js";

describeCrashSafety("main");
